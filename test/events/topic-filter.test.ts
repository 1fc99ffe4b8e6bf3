import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTopicPattern, parseTopicFilter, topicMatches } from '../../src/events/topic-filter';

describe('topic filters', () => {
  test('a trailing * matches every topic under the prefix, exact names only themselves', () => {
    const filter = parseTopicFilter('alarm.*,fault.opened');
    assert.ok(filter);
    assert.ok(topicMatches(filter, 'alarm.received'));
    assert.ok(topicMatches(filter, 'alarm.cleared'));
    assert.ok(topicMatches(filter, 'fault.opened'));
    assert.ok(!topicMatches(filter, 'fault.closed'));
    assert.ok(!topicMatches(filter, 'alarms.received'), "'alarm.*' is not a plain string prefix");
    assert.ok(!topicMatches(filter, 'alarm'));
  });

  test('no filter, an empty one and * match everything', () => {
    for (const text of [undefined, '', ' , ', '*']) {
      const filter = parseTopicFilter(text);
      assert.ok(filter, String(text));
      assert.ok(topicMatches(filter, 'anything.at.all'));
    }
  });

  test('spaces around patterns are ignored; malformed patterns make the whole filter unusable', () => {
    assert.deepEqual(parseTopicFilter(' alarm.* , position.updated '), ['alarm.*', 'position.updated']);
    for (const bad of ['alarm.**', 'al*rm', '*.received', 'alarm..x', 'alarm.*,bad pattern', '.alarm', 'x'.repeat(101)]) {
      assert.equal(parseTopicFilter(bad), null, bad);
      assert.equal(isTopicPattern(bad), false, bad);
    }
  });
});
