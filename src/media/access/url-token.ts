import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Playback URLs carry `?token=<expiry>.<signature>`: an HMAC of the stream name and the expiry
 * under a secret the API and the media node share. A URL works for whoever holds it until it
 * expires, and cannot be stretched to another stream or a later time.
 */
export interface UrlTokenSigner {
  sign(stream: string, ttlSec: number): string;
  verify(stream: string, token: string | undefined): UrlTokenCheck;
}

export type UrlTokenCheck = { ok: true; expiresAt: number } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'bad-signature' };

export function createUrlTokenSigner(secret: string, now: () => number = Date.now): UrlTokenSigner {
  const mac = (stream: string, expiry: number): Buffer => createHmac('sha256', secret).update(`${stream}\n${expiry}`).digest().subarray(0, 18);
  return {
    sign(stream, ttlSec) {
      const expiry = Math.floor(now() / 1000) + Math.max(1, Math.floor(ttlSec));
      return `${expiry}.${mac(stream, expiry).toString('base64url')}`;
    },
    verify(stream, token) {
      if (token === undefined || token === '') return { ok: false, reason: 'missing' };
      const match = /^(\d{1,12})\.([A-Za-z0-9_-]{24})$/.exec(token);
      if (match === null) return { ok: false, reason: 'malformed' };
      const expiry = Number(match[1]);
      const given = Buffer.from(match[2] ?? '', 'base64url');
      const expected = mac(stream, expiry);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
      if (expiry * 1000 < now()) return { ok: false, reason: 'expired' };
      return { ok: true, expiresAt: expiry * 1000 };
    },
  };
}
