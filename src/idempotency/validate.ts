/**
 * Argument checks shared by every idempotency store, so they all reject the same mistakes the same way.
 *
 * @module
 */
import { SwitchboardError } from '../errors.js';

/**
 * Checks a lease or TTL and returns it as whole milliseconds (Redis `PX` and SQL intervals want integers).
 *
 * @example
 * ```ts
 * const px = durationMs('leaseMs', 1500.2); // 1501
 * ```
 */
export function durationMs(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SwitchboardError(
      'SWB_CONFIG_INVALID',
      `${name} must be a positive, finite number of milliseconds`,
      {
        details: { [name]: String(value) },
      },
    );
  }
  return Math.ceil(value);
}

/**
 * Checks an idempotency key. The key itself never appears in the error: keys may carry business ids.
 *
 * @example
 * ```ts
 * assertKey('billing:42');
 * ```
 */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'idempotency key must be a non-empty string', {
      details: { type: typeof key },
    });
  }
}
