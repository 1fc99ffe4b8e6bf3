/**
 * native/rtp-recv built with AddressSanitizer and UndefinedBehaviorSanitizer, then driven in a
 * child process by its own tests (several sockets, 64 KB datagrams, IPv6, runs, a flood while
 * JavaScript is stalled, workers ending with sockets open) and by the UDP and TCP passive ingest
 * suites (damaged streams, garbage that hands the TCP framing over, reconnects).
 */
import { test } from 'node:test';
import { runAgainstSanitizedAddon } from '../../helpers/sanitized-addon';

test('the RTP receive addon under AddressSanitizer passes its tests without a report', { timeout: 180_000 }, () => {
  runAgainstSanitizedAddon({
    addon: 'rtp-recv',
    target: 'rtp_recv.node',
    pathVariable: 'GBVMS_RTP_RECV_ADDON',
    testFiles: ['test/media/ingest/native-rtp-recv.test.ts', 'test/media/ingest/udp-ingest.test.ts', 'test/media/ingest/tcp-passive-ingest.test.ts'],
  });
});
