/** UpperLink against a scripted requester: challenge variants and keepalive refusals, no sockets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withUpperDefaults } from '../../src/cascade/types';
import { UpperLink, type SipRequester } from '../../src/cascade/upper-link';
import type { LinkStatus } from '../../src/cascade/link-status';
import { silentLogger } from '../../src/logger';
import { createResponse } from '../../src/sip/message';
import type { SipRequest, SipResponse } from '../../src/sip/message/types';

type Answer = (request: SipRequest) => SipResponse;

class ScriptedUpper implements SipRequester {
  readonly sent: SipRequest[] = [];
  constructor(private readonly answer: Answer) {}
  async request(request: SipRequest): Promise<SipResponse> {
    this.sent.push(request);
    return this.answer(request);
  }
}

const platform = { id: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 5060 };
const ok = (r: SipRequest, extra: Array<[string, string]> = []) => createResponse(r, 200, 'OK', { headers: extra });

function link(upper: ScriptedUpper, fields: Record<string, unknown> = {}): UpperLink {
  const config = withUpperDefaults({ upperId: '35010000002000000001', host: '127.0.0.1', port: 5070, password: 'pw', ...fields }, 0);
  return new UpperLink(config, platform.id, platform, upper, silentLogger(), { retryMinMs: 20, retryMaxMs: 40, requestTimeoutMs: 500 });
}

function until(l: UpperLink, check: (s: LinkStatus) => boolean, ms = 2000): Promise<LinkStatus> {
  return new Promise((resolve, reject) => {
    if (check(l.status)) return resolve(l.status);
    const timer = setTimeout(() => reject(new Error(`state stayed ${l.status.state}`)), ms);
    l.on('change', (s) => {
      if (!check(s)) return;
      clearTimeout(timer);
      resolve(s);
    });
  });
}

describe('UpperLink', () => {
  test('a proxy challenge (407) is answered with Proxy-Authorization; CSeq counts up on one Call-ID', async () => {
    const upper = new ScriptedUpper((r) =>
      r.headers.has('proxy-authorization') ? ok(r, [['Expires', '600']]) : createResponse(r, 407, 'Proxy Authentication Required', { headers: [['Proxy-Authenticate', 'Digest realm="3501000000", nonce="n1"']] }),
    );
    const l = link(upper);
    l.start();
    const s = await until(l, (st) => st.state === 'registered');
    assert.ok(s.expiresAt !== null && s.expiresAt - Date.now() > 590_000);
    assert.deepEqual(upper.sent.map((r) => r.headers.get('cseq')), ['1 REGISTER', '2 REGISTER']);
    assert.equal(new Set(upper.sent.map((r) => r.headers.get('call-id'))).size, 1);
    assert.match(upper.sent[1]!.headers.get('proxy-authorization') ?? '', /username="34020000002000000001"/);
    await l.stop(false);
  });

  test('a stale nonce is answered again with the new one; a refusal of fresh credentials is a wrong password', async () => {
    let round = 0;
    const stale = new ScriptedUpper((r) => {
      round++;
      if (round === 1) return createResponse(r, 401, 'Unauthorized', { headers: [['WWW-Authenticate', 'Digest realm="r", nonce="a"']] });
      if (round === 2) return createResponse(r, 401, 'Unauthorized', { headers: [['WWW-Authenticate', 'Digest realm="r", nonce="b", stale=true']] });
      return /nonce="b"/.test(r.headers.get('authorization') ?? '') ? ok(r) : createResponse(r, 403, 'Forbidden');
    });
    const l = link(stale);
    l.start();
    await until(l, (st) => st.state === 'registered');
    await l.stop(false);

    const wrong = new ScriptedUpper((r) => createResponse(r, 401, 'Unauthorized', { headers: [['WWW-Authenticate', `Digest realm="r", nonce="${Math.random()}"`]] }));
    const w = link(wrong);
    w.start();
    const failing = await until(w, (st) => st.state === 'failing');
    assert.equal(failing.reason, 'auth-rejected: 401 Unauthorized');
    assert.equal(wrong.sent.length, 2, 'no loop: one answer to the challenge');
    await w.stop(false);
  });

  test('a keepalive refused with 403 (the upper lost us) registers again at once; stop(true) unregisters with Expires 0', async () => {
    let refuse = true;
    const upper = new ScriptedUpper((r) => {
      if (r.method === 'MESSAGE') {
        if (refuse) {
          refuse = false;
          return createResponse(r, 403, 'Forbidden');
        }
        return ok(r);
      }
      return ok(r);
    });
    const l = link(upper, { password: null, keepaliveIntervalSec: 1 });
    l.start();
    await until(l, (st) => st.state === 'registered');
    const failing = await until(l, (st) => st.state === 'failing', 3000);
    assert.equal(failing.reason, 'keepalive-refused');
    await until(l, (st) => st.state === 'registered');
    await l.stop(true);
    const last = upper.sent.at(-1)!;
    assert.equal(last.method, 'REGISTER');
    assert.equal(last.headers.get('expires'), '0');
    assert.equal(l.status.state, 'stopped');
    const keepalive = upper.sent.find((r) => r.method === 'MESSAGE')!;
    assert.match(keepalive.body.toString('latin1'), /<CmdType>Keepalive<\/CmdType>[\s\S]*<Status>OK<\/Status>/);
  });
});
