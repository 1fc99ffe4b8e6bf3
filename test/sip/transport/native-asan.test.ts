/**
 * native/sip-udp built with AddressSanitizer and UndefinedBehaviorSanitizer, then driven by the
 * lane's tests (real sockets, 5,000 mutated keepalives, truncations, random bytes) in a child
 * process: an out-of-bounds read or write, a use after free or undefined behaviour in the C code
 * stops that process with a report, and this test fails with it.
 */
import { test } from 'node:test';
import { runAgainstSanitizedAddon } from '../../helpers/sanitized-addon';

test('the SIP UDP addon under AddressSanitizer passes the lane tests without a report', { timeout: 180_000 }, () => {
  runAgainstSanitizedAddon({
    addon: 'sip-udp',
    target: 'sip_udp.node',
    // The parser gets a heap copy of exactly each datagram, so a read past its end is caught.
    cflags: ['-DGBVMS_EXACT_DATAGRAMS'],
    pathVariable: 'GBVMS_TEST_SIP_UDP_ADDON',
    testFiles: ['test/sip/transport/keepalive-lane-differential.test.ts', 'test/sip/transport/native-udp.test.ts'],
  });
});
