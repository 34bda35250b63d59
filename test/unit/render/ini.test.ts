// INI writer/parser round trips and the override merge order helper.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mergeIni, parseIni, renderIni } from '../../../operator/src/render/ini.js';
import { stableStringify } from '../../../operator/src/render/hash.js';

describe('ini', () => {
  test('renders [DEFAULT] first, skips empty sections, parses back', () => {
    const text = renderIni({
      database: { connection: 'mysql+pymysql://u:p@h/db?x=1' },
      empty: {},
      DEFAULT: { debug: 'false' },
    });
    expect(text.startsWith('[DEFAULT]\ndebug = false\n')).toBe(true);
    expect(text).not.toContain('[empty]');
    expect(parseIni(text)).toEqual({
      DEFAULT: { debug: 'false' },
      database: { connection: 'mysql+pymysql://u:p@h/db?x=1' },
    });
  });

  test('round trip over arbitrary documents', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9:/@?=&.,_+-]{0,30}$/).map((s) => s.trim());
    fc.assert(
      fc.property(fc.dictionary(name, fc.dictionary(name, value, { minKeys: 1 }), { minKeys: 1 }), (doc) => {
        expect(parseIni(renderIni(doc))).toEqual(doc);
      }),
    );
  });

  test('mergeIni: later layers win per key, others are kept', () => {
    expect(mergeIni({ a: { x: '1', y: '1' } }, { a: { y: '2' } }, undefined, { b: { z: '3' } })).toEqual({
      a: { x: '1', y: '2' },
      b: { z: '3' },
    });
  });

  test('stableStringify ignores key order', () => {
    expect(stableStringify({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 1 } })).toBe(
      stableStringify({ a: { c: 1, d: [2, { e: 0, f: 1 }] }, b: 1 }),
    );
  });
});
