import fc from 'fast-check';
import { validate, version } from 'uuid';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newMessageId } from '../../src/envelope/id.js';

// Ids are built as text for speed (src/envelope/id.ts); the `uuid` package is the reference they must satisfy.
describe('newMessageId', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('produces valid RFC 9562 version 7 UUIDs with the right variant', () => {
    for (let i = 0; i < 10_000; i++) {
      const id = newMessageId();
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      expect('89ab').toContain(id[19]!);
    }
  });

  it('is strictly increasing within a process, also within one millisecond', () => {
    let previous = newMessageId();
    for (let i = 0; i < 50_000; i++) {
      const next = newMessageId();
      expect(next > previous).toBe(true);
      previous = next;
    }
  });

  it('has no duplicates across a million ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) seen.add(newMessageId());
    expect(seen.size).toBe(1_000_000);
  });
  it('carries the Unix milliseconds in its first 48 bits, and never goes back when the clock does', () => {
    // Increasing times (the generator's state is process-wide and monotonic), then one step back.
    const base = Date.now() + 1000;
    const steps = fc.sample(fc.integer({ min: 1, max: 10 ** 9 }), 200);
    let ms = base;
    for (const step of steps) {
      ms += step;
      vi.useFakeTimers({ now: ms, toFake: ['Date'] });
      const id = newMessageId().replace(/-/g, '');
      expect(Number.parseInt(id.slice(0, 12), 16)).toBe(ms);
    }
    const last = newMessageId();
    vi.setSystemTime(ms - 5000);
    const afterStepBack = newMessageId();
    expect(afterStepBack > last).toBe(true);
    expect(Number.parseInt(afterStepBack.replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
  });
});
