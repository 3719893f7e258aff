import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { parseDuration } from '../../src/resilience/duration.js';
import { compileTrip, type TripCounts } from '../../src/resilience/trip-expression.js';

const counts = (over: Partial<TripCounts> = {}): TripCounts => ({
  requests: 10,
  totalSuccesses: 4,
  totalFailures: 6,
  consecutiveSuccesses: 0,
  consecutiveFailures: 3,
  ...over,
});

describe('trip expressions', () => {
  it.each([
    ['consecutiveFailures > 5', false],
    ['consecutiveFailures >= 3', true],
    ['consecutiveFailures == 3 && requests != 9', true],
    ['totalFailures / requests > 0.5', true],
    ['requests > 20 || totalFailures * 2 - 1 >= 11', true],
    ['!(consecutiveFailures < 3)', true],
    ['(requests + 5) / 3 == 5', true],
    ['-consecutiveSuccesses < 1', true],
    ['consecutiveFailures <= 2', false],
    ['true', true],
    ['false || consecutiveSuccesses > 0', false],
    ['(consecutiveFailures > 1) == true', true],
  ])('%s -> %s', (text, expected) => {
    expect(compileTrip(text)(counts())).toBe(expected);
  });

  it('divides by zero as 0 instead of Infinity', () => {
    expect(compileTrip('totalFailures / requests > 0.5')(counts({ requests: 0, totalFailures: 0 }))).toBe(
      false,
    );
  });

  it.each([
    ['', 'must be a non-empty expression'],
    ['consecutiveFailures', 'must be a condition (a comparison), not a number'],
    ['consecutiveFailures > ', 'unexpected end of expression'],
    ['process.exit(1) > 0', 'unexpected character at position 8'],
    ['constructor > 1', 'unknown variable constructor'],
    ['requests > 1 requests', 'unexpected requests after the expression'],
    ['(requests > 1', 'missing )'],
    ['requests && true', 'operator && needs boolean operands'],
    ['true > 1', 'operator > compares values of different types'],
    ['true < false', 'operator < needs number operands'],
    ['!requests', 'operator ! needs boolean operands'],
    ['-true > 0', 'operator - needs number operands'],
    ['requests + true > 1', 'operator + needs number operands'],
    ['requests * true > 1', 'operator * needs number operands'],
    ['true || 1', 'operator || needs boolean operands'],
    ['> 1', 'unexpected >'],
  ])('rejects %j: %s', (text, problem) => {
    try {
      compileTrip(text, 'trip');
      expect.unreachable();
    } catch (error) {
      expect(isSwitchboardError(error, 'SWB_CONFIG_INVALID')).toBe(true);
      expect((error as { details: { problem: string } }).details.problem).toContain(problem);
    }
  });
});

describe('Dapr durations', () => {
  it.each([
    ['5s', 5_000],
    ['1m30s', 90_000],
    ['100ms', 100],
    ['1.5h', 5_400_000],
    ['250us', 0.25],
    ['2h45m', 9_900_000],
    ['0', 0],
    ['.5s', 500],
    [1_000, 1_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([['5'], ['5 s'], ['-1s'], ['1d'], [''], [-1], [Number.NaN], [null]])('rejects %j', (value) => {
    expect(() => parseDuration(value, 'x.timeout')).toThrow(/x\.timeout/);
  });
});
