// Parses and serializes a typical REGISTER and a Keepalive MESSAGE N times each and prints messages/s.
// Run: node --import tsx bench/sip-parse.ts [iterations]
import { parseSipMessage, serializeSipMessage, SipStreamFramer, type SipMessage } from '../src/sip/message';

const REGISTER = Buffer.from(
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1251336551\r\n' +
    'From: <sip:34020000001320000001@3402000000>;tag=2088733642\r\n' +
    'To: <sip:34020000001320000001@3402000000>\r\n' +
    'Call-ID: 1881196343@192.168.1.64\r\n' +
    'CSeq: 1 REGISTER\r\n' +
    'Contact: <sip:34020000001320000001@192.168.1.64:5060>\r\n' +
    'Max-Forwards: 70\r\n' +
    'User-Agent: IP Camera\r\n' +
    'Expires: 3600\r\n' +
    'Content-Length: 0\r\n\r\n',
);
const KEEPALIVE_BODY =
  '<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>539</SN>\n' +
  '<DeviceID>34020000001320000001</DeviceID>\n<Status>OK</Status>\n</Notify>\n';
const KEEPALIVE = Buffer.from(
  'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK677047196\r\n' +
    'From: <sip:34020000001320000001@3402000000>;tag=1166693770\r\n' +
    'To: <sip:34020000002000000001@3402000000>\r\n' +
    'Call-ID: 632317300@192.168.1.64\r\n' +
    'CSeq: 20 MESSAGE\r\n' +
    'Max-Forwards: 70\r\n' +
    'User-Agent: IP Camera\r\n' +
    'Content-Type: Application/MANSCDP+xml\r\n' +
    `Content-Length: ${Buffer.byteLength(KEEPALIVE_BODY)}\r\n\r\n${KEEPALIVE_BODY}`,
);

const iterations = Number(process.argv[2] ?? 200_000);

function time(label: string, n: number, fn: () => void): void {
  const started = process.hrtime.bigint();
  fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(28)} ${Math.round(n / seconds).toLocaleString('en-US').padStart(12)} messages/s  (${n} in ${seconds.toFixed(3)} s)`);
}

function parseOrDie(buf: Buffer): SipMessage {
  const r = parseSipMessage(buf);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.message;
}

for (const [name, wire] of [['REGISTER', REGISTER], ['Keepalive MESSAGE', KEEPALIVE]] as const) {
  const message = parseOrDie(wire);
  for (let i = 0; i < 20_000; i++) {
    parseOrDie(wire);
    serializeSipMessage(message);
  }
  let sink = 0;
  time(`parse ${name}`, iterations, () => {
    for (let i = 0; i < iterations; i++) sink += parseOrDie(wire).body.length;
  });
  time(`serialize ${name}`, iterations, () => {
    for (let i = 0; i < iterations; i++) sink += serializeSipMessage(message).length;
  });
  time(`parse+serialize ${name}`, iterations, () => {
    for (let i = 0; i < iterations; i++) sink += serializeSipMessage(parseOrDie(wire)).length;
  });
  const stream = Buffer.concat(Array.from({ length: 100 }, () => wire));
  time(`TCP framer ${name}`, iterations, () => {
    const framer = new SipStreamFramer();
    for (let i = 0; i < iterations / 100; i++) sink += framer.push(stream).length;
  });
  if (sink === 0) console.log('unreachable');
}
