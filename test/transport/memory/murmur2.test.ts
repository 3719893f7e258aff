import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../src/transport/memory/murmur2.js';

describe('murmur2', () => {
  it('matches the values of Kafka’s Utils.murmur2 test', () => {
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });

  it('hashes the UTF-8 bytes of non-ASCII keys (same value as kafkajs)', () => {
    expect(murmur2('')).toBe(275646681);
    expect(murmur2('é€😀x')).toBe(-168328983);
  });

  it('handles keys longer than the scratch buffer', () => {
    const long = 'k'.repeat(1000);
    // A key that makes the scratch buffer grow hashes like the same key afterwards (regression: it once hashed
    // the old, smaller buffer).
    expect(murmur2(long)).toBe(murmur2(long));
    expect(murmur2('z'.repeat(5000))).toBe(1953467180); // kafkajs agrees
    expect(murmur2(`${long}é`)).not.toBe(murmur2(`${long}e`));
  });

  it('picks partitions in range, the same for the same key', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (key, partitions) => {
        const p = partitionForKey(key, partitions);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(partitions);
        expect(partitionForKey(key, partitions)).toBe(p);
      }),
    );
  });
});
