import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { headerParam, tagOf, withTag } from '../../../src/sip/transaction/header-params';

describe('From/To tag reading', () => {
  test('the tag after the URI is found, a tag inside the URI is not', () => {
    assert.equal(tagOf('<sip:34020000001320000001@3402000000>;tag=992677514'), '992677514');
    assert.equal(tagOf('"Cam ;tag=no" <sip:a@b;tag=inside>;tag=outside'), 'outside');
    assert.equal(tagOf('<sip:a@b;tag=inside>'), undefined);
    assert.equal(tagOf('sip:a@b;tag=bare'), 'bare');
    assert.equal(tagOf('<sip:a@b> ; TAG = 12 ;x=1'), '12');
    assert.equal(tagOf('<sip:a@b>;tag='), undefined);
    assert.equal(tagOf('<sip:a@b>;tag'), undefined);
    assert.equal(tagOf(undefined), undefined);
    assert.equal(headerParam('<sip:a@b>;expires=3600;lr', 'lr'), '');
  });

  test('withTag adds a tag only when there is none', () => {
    assert.equal(withTag('<sip:a@b>', '7'), '<sip:a@b>;tag=7');
    assert.equal(withTag('<sip:a@b>;tag=1', '7'), '<sip:a@b>;tag=1');
  });

  test('random and mutated header values never throw and give a string or undefined', () => {
    let seed = 0x2818;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = '<>";=\\ tag,sip:@ab1\t\r\n\u00e9';
    const seeds = ['"Cam" <sip:34020000001320000001@3402000000>;tag=99', 'sip:a@b;tag=1', '<sip:a@b;lr>;tag="q;x"'];
    for (let i = 0; i < 5000; i++) {
      let value: string;
      if (i % 2 === 0) {
        value = Array.from({ length: rand(40) }, () => alphabet[rand(alphabet.length)]).join('');
      } else {
        const base = seeds[rand(seeds.length)] as string;
        const at = rand(base.length + 1);
        value = base.slice(0, at) + alphabet[rand(alphabet.length)] + base.slice(at + rand(3));
      }
      const tag = tagOf(value);
      assert.ok(tag === undefined || typeof tag === 'string');
      const p = headerParam(value, 'x');
      assert.ok(p === undefined || typeof p === 'string');
    }
  });
});
