/** Values onMetaData carries; AMF0 (Adobe AMF0 spec 2.2–2.11) is encoded for just these. */
export type AmfValue = number | boolean | string;

/** An AMF0 string followed by an ECMA array: the body of a script data tag. */
export function encodeScriptData(name: string, properties: ReadonlyArray<readonly [string, AmfValue]>): Buffer {
  let size = stringSize(name) + 1 + 4 + 3;
  for (const [key, value] of properties) size += 2 + Buffer.byteLength(key) + valueSize(value);
  const out = Buffer.allocUnsafe(size);
  let at = writeValue(out, 0, name);
  out[at++] = 0x08; // ECMA array
  at = out.writeUInt32BE(properties.length, at);
  for (const [key, value] of properties) {
    at = out.writeUInt16BE(Buffer.byteLength(key), at);
    at += out.write(key, at);
    at = writeValue(out, at, value);
  }
  out[at++] = 0;
  out[at++] = 0;
  out[at++] = 0x09; // object end
  return out;
}

function stringSize(s: string): number {
  return 1 + 2 + Buffer.byteLength(s);
}

function valueSize(value: AmfValue): number {
  if (typeof value === 'number') return 9;
  if (typeof value === 'boolean') return 2;
  return stringSize(value);
}

function writeValue(out: Buffer, offset: number, value: AmfValue): number {
  let at = offset;
  if (typeof value === 'number') {
    out[at++] = 0x00;
    return out.writeDoubleBE(value, at);
  }
  if (typeof value === 'boolean') {
    out[at++] = 0x01;
    out[at++] = value ? 1 : 0;
    return at;
  }
  out[at++] = 0x02;
  at = out.writeUInt16BE(Buffer.byteLength(value), at);
  return at + out.write(value, at);
}
