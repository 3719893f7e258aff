/**
 * The one error invalid options and configuration raise.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';

/** SWB_CONFIG_INVALID naming the path of the bad value and what is wrong with it. */
export function configError(path: string, problem: string): SwitchboardError {
  return new SwitchboardError(
    'SWB_CONFIG_INVALID',
    `invalid resilience configuration at ${path}: ${problem}`,
    {
      details: { path, problem },
    },
  );
}

/** Checks a number option; returns it or throws {@link configError}. */
export function checkNumber(
  value: number,
  path: string,
  { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, integer = false, infinite = false } = {},
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw configError(path, 'must be a number');
  if (!infinite && !Number.isFinite(value)) throw configError(path, 'must be finite');
  if (integer && Number.isFinite(value) && !Number.isInteger(value))
    throw configError(path, 'must be an integer');
  if (value < min) throw configError(path, `must be >= ${min}`);
  if (value > max) throw configError(path, `must be <= ${max}`);
  return value;
}
