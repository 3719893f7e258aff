/**
 * safeJsonParse skips its walk for prototype keys when a text scan shows none can be present. These properties
 * hold the scan to the walk: whatever the keys and however they are escaped, a text whose parsed value holds a
 * `__proto__` key or a `constructor` key with an own `prototype` is rejected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAttribute } from '../../src/envelope/attributes.js';
import { safeJsonParse } from '../../src/envelope/safe-json.js';
import { isSwitchboardError } from '../../src/errors.js';

type Json = null | number | string | Json[] | { [key: string]: Json };

const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'proto', 'a', 'protocol'),
  fc.string({ maxLength: 6 }),
);

const { json } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, 1, 'x', 'proto'),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie('json')), { maxLength: 4 }).map((entries) => {
      // defineProperty: a plain assignment of __proto__ would set the prototype instead of a key.
      const object: { [key: string]: Json } = {};
      for (const [k, v] of entries) {
        Object.defineProperty(object, k, { value: v, enumerable: true, configurable: true, writable: true });
      }
      return object;
    }),
  ),
}));

// Writes JSON with each character of each key escaped as \uXXXX when its flag says so.
function write(value: Json, escapes: readonly boolean[], at = { i: 0 }): string {
  if (Array.isArray(value)) return `[${value.map((v) => write(v, escapes, at)).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const parts = Object.keys(value).map((k) => {
    let spelt = '';
    for (const c of k) {
      const escaped = escapes[at.i++ % Math.max(escapes.length, 1)] === true;
      spelt += escaped
        ? [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
        : JSON.stringify(c).slice(1, -1);
    }
    return `"${spelt}":${write(value[k]!, escapes, at)}`;
  });
  return `{${parts.join(',')}}`;
}

function holdsForbiddenKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsForbiddenKey);
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, '__proto__')) return true;
  const ctor = Object.hasOwn(record, 'constructor') ? record.constructor : undefined;
  if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.keys(record).some((k) => holdsForbiddenKey(record[k]));
}

describe('safeJsonParse prototype keys (property)', () => {
  it('rejects exactly the values holding __proto__ or constructor.prototype, escaped or not', () => {
    fc.assert(
      fc.property(json, fc.array(fc.boolean(), { maxLength: 8 }), (value, escapes) => {
        const text = write(value, escapes);
        const parsed = JSON.parse(text) as unknown;
        let rejected = false;
        try {
          safeJsonParse(text);
        } catch (error) {
          expect(isSwitchboardError(error) && error.code === 'SWB_DECODE_FAILED').toBe(true);
          rejected = true;
        }
        expect(rejected).toBe(holdsForbiddenKey(parsed));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('traceparent check', () => {
  const TRACEPARENT_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-Fg-]{${n}}$`));
  const candidate = fc.oneof(
    fc
      .tuple(hex(32), hex(16), hex(2), fc.constantFrom('-', '_', ''), fc.constantFrom('', '-', 'x'))
      .map(([t, s, f, sep, tail]) => `00-${t}${sep}${s}-${f}${tail}`),
    fc.string({ maxLength: 60 }).map((s) => `00-${s}`),
  );

  it('accepts a version-00 traceparent exactly when the W3C pattern matches (and ids are not zero)', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const expected =
          TRACEPARENT_00.test(value) &&
          !value.startsWith('0'.repeat(32), 3) &&
          !value.startsWith('0'.repeat(16), 36);
        let accepted = true;
        try {
          checkAttribute('traceparent', value);
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(() =>
      checkAttribute('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    ).not.toThrow();
  });
});
