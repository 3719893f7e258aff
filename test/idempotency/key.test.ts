import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../src/idempotency/key.js';

describe('idempotencyKey', () => {
  it('joins source and id with a colon', () => {
    expect(idempotencyKey({ source: 'billing', id: '42' })).toBe('billing:42');
  });

  it('escapes colons and percent signs so a source with colons cannot collide', () => {
    expect(idempotencyKey({ source: 'urn:svc:billing', id: '42' })).toBe('urn%3Asvc%3Abilling:42');
    expect(idempotencyKey({ source: 'a:b', id: 'c' })).not.toBe(idempotencyKey({ source: 'a', id: 'b:c' }));
    expect(idempotencyKey({ source: 'a%3A', id: 'x' })).not.toBe(idempotencyKey({ source: 'a:', id: 'x' }));
  });

  it('is injective over (source, id) pairs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (s1, i1, s2, i2) => {
        fc.pre(s1 !== s2 || i1 !== i2);
        expect(idempotencyKey({ source: s1, id: i1 })).not.toBe(idempotencyKey({ source: s2, id: i2 }));
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective on adversarial strings made of separators', () => {
    const part = fc.string({ unit: fc.constantFrom(':', '%', '3', 'A', '2', '5', 'x') });
    fc.assert(
      fc.property(part, part, part, part, (s1, i1, s2, i2) => {
        fc.pre(s1 !== s2 || i1 !== i2);
        expect(idempotencyKey({ source: s1, id: i1 })).not.toBe(idempotencyKey({ source: s2, id: i2 }));
      }),
      { numRuns: 2000 },
    );
  });
});
