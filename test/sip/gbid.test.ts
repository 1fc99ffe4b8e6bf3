import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeGbType,
  gbNetworkCode,
  gbRealm,
  gbTypeCategory,
  gbTypeCode,
  isChannelLikeType,
  isOrganisationType,
  isValidGbId,
  isVideoChannelType,
} from '../../src/sip/gbid';

void describe('GB/T 28181 20-digit codes', () => {
  void test('a 20-digit code is valid; shorter, longer, lettered or non-string values are not', () => {
    assert.equal(isValidGbId('34020000001320000002'), true);
    assert.equal(isValidGbId('3402000000132000000'), false);
    assert.equal(isValidGbId('340200000013200000021'), false);
    assert.equal(isValidGbId('3402000000132000000a'), false);
    assert.equal(isValidGbId(' 34020000001320000002'), false);
    assert.equal(isValidGbId('34020000001320000002\n'), false);
    assert.equal(isValidGbId(3402000000132), false);
    assert.equal(isValidGbId(null), false);
  });

  void test('the type code is digits 11-13 and the realm the first 10 digits', () => {
    assert.equal(gbTypeCode('34020000001320000002'), '132');
    assert.equal(gbTypeCode('34020000001110000001'), '111');
    assert.equal(gbTypeCode('34020000002000000010'), '200');
    assert.equal(gbRealm('34020000002000000010'), '3402000000');
    assert.equal(gbNetworkCode('34020000001327000002'), '7');
  });

  void test('a civil-code catalog node or garbage has no type code and no realm', () => {
    assert.equal(gbTypeCode('3402'), '');
    assert.equal(gbTypeCode('not-an-id'), '');
    assert.equal(gbRealm('3402'), null);
  });

  void test('type codes are described as in Annex E', () => {
    assert.equal(describeGbType('111'), 'DVR');
    assert.equal(describeGbType('113'), 'encoder');
    assert.equal(describeGbType('118'), 'NVR');
    assert.equal(describeGbType('121'), 'video checkpoint (bayonet)');
    assert.equal(describeGbType('131'), 'camera');
    assert.equal(describeGbType('132'), 'IPC');
    assert.equal(describeGbType('134'), 'alarm input');
    assert.equal(describeGbType('135'), 'alarm output');
    assert.equal(describeGbType('200'), 'SIP server (platform)');
    assert.equal(describeGbType('215'), 'business group');
    assert.equal(describeGbType('216'), 'virtual organisation');
    assert.equal(describeGbType('126'), 'front-end main device (extension)');
    assert.equal(describeGbType('320'), 'industry role user (centre)');
    assert.equal(describeGbType('777'), 'extension type');
    assert.equal(describeGbType('099'), 'unknown');
    assert.equal(describeGbType('1x2'), 'unknown');
    assert.equal(describeGbType(''), 'unknown');
  });

  void test('categories follow the ranges of Table E.1', () => {
    assert.equal(gbTypeCategory('118'), 'front-end-main');
    assert.equal(gbTypeCategory('131'), 'front-end-peripheral');
    assert.equal(gbTypeCategory('216'), 'platform');
    assert.equal(gbTypeCategory('300'), 'centre-user');
    assert.equal(gbTypeCategory('400'), 'terminal-user');
    assert.equal(gbTypeCategory('502'), 'external-server');
    assert.equal(gbTypeCategory('600'), 'extension');
    assert.equal(gbTypeCategory('010'), 'unknown');
  });

  void test('cameras and alarm inputs are channel-like; NVRs, platforms and tree nodes are not', () => {
    for (const code of ['131', '132', '134', '135', '137']) assert.equal(isChannelLikeType(code), true, code);
    for (const code of ['111', '118', '200', '215', '216', '']) assert.equal(isChannelLikeType(code), false, code);
    assert.equal(isVideoChannelType('131'), true);
    assert.equal(isVideoChannelType('134'), false);
    assert.equal(isOrganisationType('215'), true);
    assert.equal(isOrganisationType('216'), true);
    assert.equal(isOrganisationType('200'), false);
  });
});
