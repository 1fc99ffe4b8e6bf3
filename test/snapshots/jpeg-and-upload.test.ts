import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { isJpeg, jpegInfo } from '../../src/snapshots/jpeg';
import { multipartBoundary, parseMultipart } from '../../src/snapshots/multipart';
import { fileIdOf, uploadedImages } from '../../src/snapshots/upload-body';
import { mutate, randomBytes, randomInt, seededRandom } from '../helpers/random';
import { hasFfmpeg } from '../media/helpers/media-files';

/** A hand-made JPEG head: SOI, an APP0 segment, SOF0 of 352x288, then SOS. Enough for jpegInfo. */
function jpegHead(width = 352, height = 288): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x12, 0x34, 0xff, 0xd9]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, sos]);
}

function form(boundary: string, parts: Array<{ name: string; filename?: string; type?: string; data: Buffer }>, eol = '\r\n'): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `Content-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}${eol}${disposition}${eol}${p.type ? `Content-Type: ${p.type}${eol}` : ''}${eol}`), p.data, Buffer.from(eol));
  }
  chunks.push(Buffer.from(`--${boundary}--${eol}`));
  return Buffer.concat(chunks);
}

describe('JPEG recognition', () => {
  test('a JPEG is recognised by its first bytes and its size read from the SOF segment', () => {
    const head = jpegHead(1920, 1080);
    assert.equal(isJpeg(head), true);
    assert.deepEqual(jpegInfo(head), { width: 1920, height: 1080 });
  });

  test('a PNG, text, an empty buffer and a JPEG cut before its SOF are refused', () => {
    assert.equal(isJpeg(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')), false);
    assert.equal(isJpeg(Buffer.from('hello')), false);
    assert.equal(isJpeg(Buffer.alloc(0)), false);
    assert.equal(jpegInfo(jpegHead().subarray(0, 24)), null);
    assert.equal(jpegInfo(Buffer.from('not a jpeg at all')), null);
  });

  test('an FFmpeg-made JPEG gives the size ffmpeg was asked for', { skip: hasFfmpeg ? false : 'ffmpeg is not installed' }, () => {
    const out = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1']);
    assert.equal(out.status, 0);
    assert.deepEqual(jpegInfo(out.stdout), { width: 320, height: 240 });
  });

  test('fuzz: random and damaged JPEG heads never throw and give null or a positive size', () => {
    const rand = seededRandom(0x1bad);
    const seed = jpegHead();
    for (let i = 0; i < 5000; i++) {
      const input = i % 3 === 0 ? randomBytes(rand, randomInt(rand, 0, 64)) : mutate(rand, seed);
      const info = jpegInfo(input);
      if (info !== null) assert.ok(info.width > 0 && info.height > 0);
    }
  });
});

describe('device upload bodies', () => {
  const jpeg = jpegHead();

  test('the boundary is read from the Content-Type, quoted or not', () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary=----abc123'), '----abc123');
    assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('image/jpeg'), null);
    assert.equal(multipartBoundary('multipart/form-data'), null);
  });

  test('a form with a text field and a JPEG file gives the JPEG with the file name as its ID', () => {
    const body = form('XyZ', [
      { name: 'SessionID', data: Buffer.from('0123') },
      { name: 'file', filename: '3402000000132000000102202405041443161230.jpg', type: 'image/jpeg', data: jpeg },
    ]);
    const parsed = parseMultipart(body, 'XyZ');
    assert.ok(parsed.ok);
    assert.equal(parsed.parts.length, 2);
    assert.deepEqual(parsed.parts[1]?.data, jpeg);
    const images = uploadedImages(body, 'multipart/form-data; boundary=XyZ', null);
    assert.ok(images.ok);
    assert.equal(images.images.length, 1);
    assert.deepEqual(images.images[0]?.data, jpeg);
    assert.equal(images.images[0]?.fileId, '3402000000132000000102202405041443161230');
  });

  test('LF-only forms and forms without the closing delimiter still give their picture', () => {
    const lf = form('b', [{ name: 'f', filename: 'x.jpg', data: jpeg }], '\n');
    assert.deepEqual(uploadedImages(lf, 'multipart/form-data; boundary=b', null).ok && true, true);
    const open = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n'), jpeg]);
    const r = uploadedImages(open, 'multipart/form-data; boundary=b', 'name.jpg');
    assert.ok(r.ok);
    assert.deepEqual(r.images[0]?.data, jpeg);
    assert.equal(r.images[0]?.fileId, 'name');
  });

  test('a raw JPEG body is the picture, named by the URL suffix; anything else is refused whatever its Content-Type', () => {
    const raw = uploadedImages(jpeg, 'image/jpeg', 'pic01.jpg');
    assert.ok(raw.ok);
    assert.equal(raw.images[0]?.fileId, 'pic01');
    assert.equal(uploadedImages(Buffer.from('GIF89a....'), 'image/jpeg', null).ok, false);
    assert.equal(uploadedImages(form('q', [{ name: 'f', filename: 'a.txt', data: Buffer.from('text') }]), 'multipart/form-data; boundary=q', null).ok, false);
  });

  test('file IDs keep only safe names', () => {
    assert.equal(fileIdOf('../../etc/passwd'), 'passwd');
    assert.equal(fileIdOf('a b<c>.jpg'), null);
    assert.equal(fileIdOf(null), null);
  });

  test('fuzz: damaged forms never throw and every part lies inside the body', () => {
    const rand = seededRandom(0xf0f0);
    const seed = form('----WebKitFormBoundary7MA4YWxkTrZu0gW', [
      { name: 'a', data: Buffer.from('1') },
      { name: 'file', filename: 'p.jpg', type: 'image/jpeg', data: jpeg },
    ]);
    for (let i = 0; i < 5000; i++) {
      const input = i % 4 === 0 ? randomBytes(rand, randomInt(rand, 0, 300)) : mutate(rand, seed);
      const r = parseMultipart(input, '----WebKitFormBoundary7MA4YWxkTrZu0gW');
      if (r.ok) {
        assert.ok(r.parts.length <= 32);
        for (const p of r.parts) assert.ok(p.data.byteOffset >= input.byteOffset && p.data.byteOffset + p.data.length <= input.byteOffset + input.length);
      }
      const u = uploadedImages(input, 'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW', null);
      if (u.ok) for (const img of u.images) assert.equal(isJpeg(img.data), true);
    }
  });
});
