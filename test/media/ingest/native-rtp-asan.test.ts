/**
 * native/rtp-recv built with AddressSanitizer and UndefinedBehaviorSanitizer, then driven by its
 * tests over real sockets (several sockets, 64 KB datagrams, IPv6, a flood while JavaScript is
 * stalled, workers ending with sockets open) in a child process.
 */
import { test } from 'node:test';
import { runAgainstSanitizedAddon } from '../../helpers/sanitized-addon';

test('the RTP receive addon under AddressSanitizer passes its tests without a report', { timeout: 180_000 }, () => {
  runAgainstSanitizedAddon({
    addon: 'rtp-recv',
    target: 'rtp_recv.node',
    pathVariable: 'GBVMS_TEST_RTP_RECV_ADDON',
    testFiles: ['test/media/ingest/native-rtp-recv.test.ts'],
  });
});
