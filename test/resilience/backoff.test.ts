import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { backoffFactory, baseDelay, nextDelay, resolveBackoff } from '../../src/resilience/backoff.js';

const kinds = fc.constantFrom('exponential', 'linear', 'constant') as fc.Arbitrary<
  'exponential' | 'linear' | 'constant'
>;
const jitters = fc.constantFrom('none', 'full', 'decorrelated', 'proportional') as fc.Arbitrary<
  'none' | 'full' | 'decorrelated' | 'proportional'
>;

describe('backoff delays', () => {
  it('grow as configured without jitter', () => {
    const exp = resolveBackoff({ initialDelay: 1_000, maxDelay: 10_000, multiplier: 2, jitter: 'none' });
    expect([1, 2, 3, 4, 5].map((r) => baseDelay(exp, r))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000]);
    const lin = resolveBackoff({ backoff: 'linear', initialDelay: 5_000, maxDelay: 60_000, jitter: 'none' });
    expect([1, 2, 3].map((r) => nextDelay(lin, r, 0))).toEqual([5_000, 10_000, 15_000]);
    const con = resolveBackoff({ backoff: 'constant', initialDelay: 250, jitter: 'none' });
    expect([1, 7].map((r) => nextDelay(con, r, 0))).toEqual([250, 250]);
  });

  it('property: every delay lies within the bounds of its backoff and jitter kind', () => {
    fc.assert(
      fc.property(
        kinds,
        jitters,
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (backoff, jitter, initialDelay, extra, multiplier, jitterFactor, randoms) => {
          let i = 0;
          const random = (): number => randoms[i++ % randoms.length]!;
          const b = resolveBackoff({
            backoff,
            jitter,
            initialDelay,
            maxDelay: initialDelay + extra,
            multiplier,
            jitterFactor,
            random,
          });
          let previous = b.initialDelay;
          for (let retry = 1; retry <= 12; retry++) {
            const base = baseDelay(b, retry);
            const delay = nextDelay(b, retry, previous);
            previous = delay;
            expect(base).toBeLessThanOrEqual(b.maxDelay);
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(b.maxDelay);
            if (jitter === 'none') expect(delay).toBe(base);
            if (jitter === 'full') expect(delay).toBeLessThanOrEqual(base);
            if (jitter === 'decorrelated') expect(delay).toBeGreaterThanOrEqual(b.initialDelay);
            if (jitter === 'proportional') {
              expect(delay).toBeGreaterThanOrEqual(base * (1 - jitterFactor) - 1e-9);
              expect(delay).toBeLessThanOrEqual(Math.min(b.maxDelay, base * (1 + jitterFactor)) + 1e-9);
            }
          }
        },
      ),
    );
  });

  it('rejects invalid options naming the field', () => {
    const cases: [Parameters<typeof resolveBackoff>[0], string][] = [
      [{ initialDelay: -1 }, 'initialDelay'],
      [{ initialDelay: 100, maxDelay: 50 }, 'maxDelay'],
      [{ multiplier: 0.5 }, 'multiplier'],
      [{ jitterFactor: 2 }, 'jitterFactor'],
      [{ backoff: 'fibonacci' as never }, 'backoff'],
      [{ jitter: 'equal' as never }, 'jitter'],
      [{ initialDelay: Number.NaN }, 'initialDelay'],
    ];
    for (const [options, path] of cases) {
      try {
        resolveBackoff(options);
        expect.unreachable(`accepted ${path}`);
      } catch (error) {
        expect(isSwitchboardError(error, 'SWB_CONFIG_INVALID')).toBe(true);
        expect((error as { details: { path: string } }).details.path).toBe(path);
      }
    }
  });

  it('adapts to cockatiel IBackoffFactory', () => {
    const factory = backoffFactory({ initialDelay: 100, maxDelay: 1_000, jitter: 'none' });
    const first = factory.next(undefined);
    const second = first.next(undefined);
    const third = second.next(undefined);
    expect([first.duration, second.duration, third.duration]).toEqual([100, 200, 400]);
  });
});
