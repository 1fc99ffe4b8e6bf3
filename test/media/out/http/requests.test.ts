import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUrlTokenSigner } from '../../../../src/media/access/url-token';
import { createMediaHttpServer, type MediaHttpServer } from '../../../../src/media/out/http/media-http-server';
import { parseMediaTarget, STREAM_NAME } from '../../../../src/media/out/http/route';
import { MediaSource } from '../../../../src/media/source/media-source';
import { silentLogger } from '../../../../src/logger';
import { mutate, pick, randomBytes, randomInt, seededRandom } from '../../../helpers/random';
import { rawExchange, wsRefusal } from './helpers/clients';

const LIVE = '34020000001320000021';
const UNKNOWN = '34020000001320000099';
const SECRET = 'requests-test-secret';

interface ErrorReply {
  status: number;
  code: string;
  headers: Headers;
}

describe('media HTTP requests that are refused, and odd ones', () => {
  const signer = createUrlTokenSigner(SECRET);
  // Signed an hour ago for one minute: a real token that has run out.
  const expiredSigner = createUrlTokenSigner(SECRET, () => Date.now() - 3_600_000);
  const sources = new Map<string, MediaSource>([[LIVE, new MediaSource(LIVE)]]);
  let server: MediaHttpServer;
  let open: MediaHttpServer;
  let base = '';
  let openBase = '';

  before(async () => {
    server = createMediaHttpServer({ host: '127.0.0.1', port: 0, sources, tokens: signer, logger: silentLogger() });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
    // No token check, and a quick give-up on the first HLS segment.
    open = createMediaHttpServer({ host: '127.0.0.1', port: 0, sources, tokens: null, hlsFirstSegmentWaitMs: 300, logger: silentLogger() });
    openBase = `http://127.0.0.1:${(await open.listen()).port}`;
  });

  after(async () => {
    await Promise.all([server.close(), open.close()]);
    for (const s of sources.values()) s.end('test over');
  });

  async function errorOf(path: string, init: RequestInit = {}, at = base): Promise<ErrorReply> {
    const res = await fetch(`${at}${path}`, init);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', `${path} answers JSON`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof body.error?.code, 'string');
    assert.equal(typeof body.error?.message, 'string');
    return { status: res.status, code: String(body.error?.code), headers: res.headers };
  }

  const paths = (stream: string, token: string): string[] => [`/live/${stream}.flv${token}`, `/live/${stream}/index.m3u8${token}`, `/live/${stream}/segment-0.ts${token}`];

  test('a URL without a token is 401 token_missing, on FLV, playlist and segment alike', async () => {
    for (const path of [...paths(LIVE, ''), ...paths(LIVE, '?token=')]) {
      const e = await errorOf(path);
      assert.deepEqual([e.status, e.code], [401, 'token_missing'], path);
    }
  });

  test('a forged, malformed or other-stream token is 401 token_invalid', async () => {
    const other = signer.sign(UNKNOWN, 60);
    const [expiry, mac] = signer.sign(LIVE, 60).split('.');
    const forged = `${expiry}.${(mac ?? '').startsWith('A') ? 'B' : 'A'}${(mac ?? '').slice(1)}`;
    for (const token of [other, forged, 'nonsense', '%E0%A4%A', '1.2.3', `${Date.now()}.${'A'.repeat(24)}`]) {
      for (const path of paths(LIVE, `?token=${token}`)) {
        const e = await errorOf(path);
        assert.deepEqual([e.status, e.code], [401, 'token_invalid'], path);
      }
    }
  });

  test('an expired token is 403 token_expired', async () => {
    for (const path of paths(LIVE, `?token=${expiredSigner.sign(LIVE, 60)}`)) {
      const e = await errorOf(path);
      assert.deepEqual([e.status, e.code], [403, 'token_expired'], path);
    }
  });

  test('a stream that is not live is 404 stream_not_found (with a valid token for it)', async () => {
    for (const path of paths(UNKNOWN, `?token=${signer.sign(UNKNOWN, 60)}`)) {
      const e = await errorOf(path);
      assert.deepEqual([e.status, e.code], [404, 'stream_not_found'], path);
    }
  });

  /** The answer to a target sent byte for byte (fetch would normalise dot segments away first). */
  async function rawErrorOf(target: string): Promise<{ status: number; code: string }> {
    const reply = await rawExchange(Number(new URL(base).port), `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1]);
    assert.match(reply, /\r\nContent-Type: application\/json; charset=utf-8\r\n/i, target);
    assert.match(reply, /\r\nAccess-Control-Allow-Origin: \*\r\n/i);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
    return { status, code: body.error.code };
  }

  test('paths that are not media URLs are 404, traversal and encoded tricks included', async () => {
    const token = `?token=${signer.sign(LIVE, 60)}`;
    for (const path of [
      '/',
      '/live',
      `/live/${LIVE}`,
      `/live/${LIVE}.mp4${token}`,
      `/live/../../etc/passwd.flv`,
      `/live/%2e%2e/%2e%2e/etc/passwd.flv`,
      `/live/${LIVE}/../${LIVE}.flv${token}`,
      `/live/${LIVE}%2F..%2Fx.flv`,
      `/live/${'a'.repeat(65)}.flv`,
      `/live/${LIVE}/index.m3u8/..`,
      `/live/${LIVE}/../../secret.ts`,
      `//live/${LIVE}.flv${token}`,
      `/LIVE/${LIVE}.flv${token}`,
      `*`,
    ]) {
      const e = await rawErrorOf(path);
      assert.deepEqual([e.status, e.code], [404, 'not_found'], path);
    }
  });

  test('other methods are 405 with Allow; OPTIONS is a CORS preflight', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const e = await errorOf(`/live/${LIVE}.flv`, { method });
      assert.equal(e.status, 405, method);
      assert.equal(e.code, 'method_not_allowed');
      assert.equal(e.headers.get('allow'), 'GET, OPTIONS');
    }
    const pre = await fetch(`${base}/live/${LIVE}/index.m3u8`, {
      method: 'OPTIONS',
      headers: { origin: 'http://web.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /GET/);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'range');
    const injected = await fetch(`${base}/live/${LIVE}.flv`, { method: 'OPTIONS', headers: { 'access-control-request-headers': 'x-a, <script>' } });
    assert.equal(injected.headers.get('access-control-allow-headers'), 'Range, Content-Type');
  });

  test('a long URL is 414, an enormous one gets an HTTP error, and the server keeps answering', async () => {
    const e = await errorOf(`/live/${LIVE}.flv?token=${'x'.repeat(3000)}`);
    assert.deepEqual([e.status, e.code], [414, 'uri_too_long']);
    const huge = await rawExchange(Number(new URL(base).port), `GET /live/${'y'.repeat(100_000)}.flv HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 4\d\d /);
    const after = await errorOf(`/live/${LIVE}.flv`);
    assert.equal(after.status, 401);
  });

  test('WebSocket upgrades are refused with the same JSON errors', async () => {
    const ws = base.replace('http', 'ws');
    assert.deepEqual(await wsRefusal(`${ws}/live/${LIVE}.flv`), { status: 401, body: { error: { code: 'token_missing', message: 'this URL needs a ?token= parameter' } } });
    assert.equal((await wsRefusal(`${ws}/live/${LIVE}.flv?token=${expiredSigner.sign(LIVE, 60)}`)).status, 403);
    assert.equal((await wsRefusal(`${ws}/live/${UNKNOWN}.flv?token=${signer.sign(UNKNOWN, 60)}`)).status, 404);
    assert.equal((await wsRefusal(`${ws}/live/${LIVE}/index.m3u8?token=${signer.sign(LIVE, 60)}`)).status, 404);
  });

  test('garbage and damaged requests over raw TCP never take the server down', async () => {
    const rand = seededRandom(28181);
    const port = Number(new URL(base).port);
    const good = Buffer.from(`GET /live/${LIVE}/index.m3u8?token=abc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const inputs: Buffer[] = [];
    for (let i = 0; i < 120; i++) inputs.push(i % 3 === 0 ? randomBytes(rand, randomInt(rand, 0, 600)) : mutate(rand, good));
    for (let i = 0; i < inputs.length; i += 20) await Promise.all(inputs.slice(i, i + 20).map((input) => rawExchange(port, input, 300)));
    const res = await fetch(`${base}/live/${LIVE}.flv`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  test('without a token signer any well-formed URL plays; an HLS playlist of a stream without frames comes back empty after the wait', async () => {
    const started = performance.now();
    const res = await fetch(`${openBase}/live/${LIVE}/index.m3u8`);
    const waited = performance.now() - started;
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(waited >= 280, `waited ${waited} ms`);
    assert.ok(!/#EXTINF/.test(text), text);
    assert.match(text, /^#EXTM3U\n/);
  });
});

describe('the media route parser', () => {
  test('reads FLV, playlist and segment URLs with their query', () => {
    assert.deepEqual(pickRoute('/live/34020000001320000001.flv?token=1.abc&hevc=legacy'), { kind: 'flv', stream: '34020000001320000001', token: '1.abc' });
    assert.deepEqual(pickRoute('/live/34020000001320000001_playback-1/index.m3u8?token=t#frag'), { kind: 'hls-playlist', stream: '34020000001320000001_playback-1', token: 't' });
    assert.deepEqual(pickRoute('/live/cam/segment-12.ts'), { kind: 'hls-segment', stream: 'cam', token: null });
    assert.equal(parseMediaTarget('/live/cam.flv/'), null);
    assert.equal(parseMediaTarget('/live/c a m.flv'), null);
  });

  test('random and damaged targets never throw, and every stream name it returns is a safe one', () => {
    const rand = seededRandom(42);
    const seeds = ['/live/34020000001320000001.flv?token=1.abc', '/live/a_b-c/index.m3u8?x=%zz', '/live/a/segment-1.ts?token=%E0'];
    const alphabet = ['/', '.', '..', '%2e', '%2F', '?', '#', '&', '=', 'live', 'flv', 'ts', 'm3u8', '\u0000', '\uffff', '😀', ' ', 'a', '_', '-', '9'];
    for (let i = 0; i < 5000; i++) {
      let target: string;
      if (i % 2 === 0) target = mutate(rand, Buffer.from(pick(rand, seeds))).toString('latin1');
      else target = Array.from({ length: randomInt(rand, 0, 30) }, () => pick(rand, alphabet)).join('');
      const route = parseMediaTarget(target);
      if (route === null) continue;
      assert.match(route.stream, STREAM_NAME);
      if (route.kind === 'hls-segment') assert.match(route.segment, /^[A-Za-z0-9_-]+\.ts$/);
    }
  });
});

function pickRoute(target: string): { kind: string; stream: string; token: string | null } | null {
  const r = parseMediaTarget(target);
  return r && { kind: r.kind, stream: r.stream, token: r.query.get('token') };
}
