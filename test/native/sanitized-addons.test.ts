/**
 * The C addons built with AddressSanitizer and UndefinedBehaviorSanitizer, each driven by its
 * tests in a child process: an out-of-bounds read or write, a use after free or undefined
 * behaviour in the C code stops that process with a report, and the test fails with it. One file,
 * so the two builds and runs take turns instead of loading the machine together.
 */
import { test } from 'node:test';
import { runAgainstSanitizedAddon } from '../helpers/sanitized-addon';

test('native/sip-udp under AddressSanitizer passes the keepalive lane tests without a report', { timeout: 180_000 }, () => {
  runAgainstSanitizedAddon({
    addon: 'sip-udp',
    target: 'sip_udp.node',
    // The parser gets a heap copy of exactly each datagram, so a read past its end is caught.
    cflags: ['-DGBVMS_EXACT_DATAGRAMS'],
    pathVariable: 'GBVMS_TEST_SIP_UDP_ADDON',
    // Real sockets, 5,000 mutated keepalives, truncations, random bytes, a flood while stalled.
    testFiles: ['test/sip/transport/keepalive-lane-differential.test.ts', 'test/sip/transport/native-udp.test.ts'],
  });
});

test('native/rtp-recv under AddressSanitizer passes its tests and the UDP and TCP ingest suites without a report', { timeout: 180_000 }, () => {
  runAgainstSanitizedAddon({
    addon: 'rtp-recv',
    target: 'rtp_recv.node',
    pathVariable: 'GBVMS_RTP_RECV_ADDON',
    // Several sockets, 64 KB datagrams, IPv6, runs, a flood while stalled, workers ending with
    // sockets open; damaged UDP streams; TCP garbage that hands the framing over, reconnects;
    // TCP active connections adopted from Node.js; the FLV relay's demuxer on plain, odd, damaged
    // and random PS.
    testFiles: [
      'test/media/ingest/native-rtp-recv.test.ts',
      'test/media/ingest/udp-ingest.test.ts',
      'test/media/ingest/tcp-passive-ingest.test.ts',
      'test/media/ingest/tcp-active-ingest.test.ts',
      'test/native/flv-relay-differential.test.ts',
      'test/media/ingest/native-flv-relay.test.ts',
    ],
  });
});
