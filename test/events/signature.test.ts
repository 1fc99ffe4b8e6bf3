import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signWebhookBody, verifyWebhookSignature } from '../../src/events/signature';

describe('webhook signatures', () => {
  const secret = 'a-webhook-secret-0123456789';
  const body = Buffer.from('{"id":"1","topic":"alarm.received","time":1,"data":{"description":"越界"}}');

  test('the signature is sha256= and the hex HMAC-SHA256 of the body bytes', () => {
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    assert.equal(signWebhookBody(secret, body), `sha256=${expected}`);
    assert.equal(signWebhookBody(secret, body.toString('utf8')), `sha256=${expected}`);
  });

  test('a receiver accepts its own signature and refuses another secret, another body or a mangled header', () => {
    const header = signWebhookBody(secret, body);
    assert.ok(verifyWebhookSignature(secret, body, header));
    assert.ok(verifyWebhookSignature(secret, body, ` ${header} `));
    assert.ok(!verifyWebhookSignature('other-secret-0123456789', body, header));
    assert.ok(!verifyWebhookSignature(secret, Buffer.concat([body, Buffer.from(' ')]), header));
    assert.ok(!verifyWebhookSignature(secret, body, header.slice(0, -1)));
    assert.ok(!verifyWebhookSignature(secret, body, header.toUpperCase()));
    assert.ok(!verifyWebhookSignature(secret, body, undefined));
    assert.ok(!verifyWebhookSignature(secret, body, ''));
  });
});
