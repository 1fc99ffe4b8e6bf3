import { createHmac, timingSafeEqual } from 'node:crypto';

/** The X-Gbvms-Signature value of a webhook body: `sha256=<hex HMAC-SHA256 of the body bytes>`. */
export function signWebhookBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Receiver side: true when `header` is the signature of `body` with `secret` (constant-time compare). */
export function verifyWebhookSignature(secret: string, body: Buffer | string, header: string | undefined | null): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signWebhookBody(secret, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
