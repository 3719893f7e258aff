/**
 * Backoff delays: exponential, linear or constant growth, capped, with no, full, decorrelated or
 * proportional jitter. Pure functions, plus an adapter to cockatiel's `IBackoffFactory`.
 *
 * @module
 */
import type { IBackoff, IBackoffFactory } from 'cockatiel';
import { checkNumber, configError } from './config-error.js';

/** How the delay grows from one retry to the next. */
export type BackoffKind = 'exponential' | 'linear' | 'constant';

/**
 * Randomisation of the delay, so many clients that failed together do not retry together.
 * - `none`: the capped delay as computed.
 * - `full`: uniform in `[0, capped]` (AWS "full jitter").
 * - `decorrelated`: uniform in `[initialDelay, previous * 3]`, capped (AWS "decorrelated jitter"); it grows on
 *   its own, so the backoff kind does not apply.
 * - `proportional`: the capped delay times `1 ± jitterFactor`, capped again (Dapr's `randomizationFactor`).
 */
export type JitterKind = 'none' | 'full' | 'decorrelated' | 'proportional';

/** Backoff options shared by {@link retry} and {@link backoffFactory}. */
export interface BackoffOptions {
  /** Default `exponential`. */
  readonly backoff?: BackoffKind;
  /** Default `full`. */
  readonly jitter?: JitterKind;
  /** Delay before the first retry, ms. Default 100. */
  readonly initialDelay?: number;
  /** Upper bound of every delay, ms. Default 10 000. */
  readonly maxDelay?: number;
  /** Growth factor of exponential backoff. Default 2. */
  readonly multiplier?: number;
  /** Spread of `proportional` jitter, in [0, 1]. Default 0.5. */
  readonly jitterFactor?: number;
  /** Source of randomness in [0, 1); default `Math.random` (inject one for reproducible tests). */
  readonly random?: () => number;
}

/** Backoff options with every default filled in and checked. */
export interface ResolvedBackoff {
  readonly backoff: BackoffKind;
  readonly jitter: JitterKind;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
  readonly jitterFactor: number;
  readonly random: () => number;
}

const KINDS: readonly BackoffKind[] = ['exponential', 'linear', 'constant'];
const JITTERS: readonly JitterKind[] = ['none', 'full', 'decorrelated', 'proportional'];

/**
 * Fills in defaults and checks the options; throws SWB_CONFIG_INVALID naming the bad field.
 *
 * @example
 * ```ts
 * const b = resolveBackoff({ initialDelay: 1_000, maxDelay: 10_000, jitter: 'none' });
 * nextDelay(b, 2, b.initialDelay); // 2000
 * ```
 */
export function resolveBackoff(options: BackoffOptions = {}, prefix = ''): ResolvedBackoff {
  const backoff = options.backoff ?? 'exponential';
  if (!KINDS.includes(backoff)) throw configError(`${prefix}backoff`, `must be one of ${KINDS.join(', ')}`);
  const jitter = options.jitter ?? 'full';
  if (!JITTERS.includes(jitter)) throw configError(`${prefix}jitter`, `must be one of ${JITTERS.join(', ')}`);
  const initialDelay = checkNumber(options.initialDelay ?? 100, `${prefix}initialDelay`, { min: 0 });
  const maxDelay = checkNumber(options.maxDelay ?? Math.max(10_000, initialDelay), `${prefix}maxDelay`, {
    min: initialDelay,
  });
  const multiplier = checkNumber(options.multiplier ?? 2, `${prefix}multiplier`, { min: 1 });
  const jitterFactor = checkNumber(options.jitterFactor ?? 0.5, `${prefix}jitterFactor`, { min: 0, max: 1 });
  return {
    backoff,
    jitter,
    initialDelay,
    maxDelay,
    multiplier,
    jitterFactor,
    random: options.random ?? Math.random,
  };
}

/**
 * The delay before retry number `retry` (1 = the first retry) without jitter, capped at `maxDelay`.
 *
 * @example
 * ```ts
 * baseDelay(resolveBackoff({ initialDelay: 1_000, multiplier: 2 }), 3); // 4000
 * ```
 */
export function baseDelay(b: ResolvedBackoff, retry: number): number {
  let delay: number;
  switch (b.backoff) {
    case 'constant':
      delay = b.initialDelay;
      break;
    case 'linear':
      delay = b.initialDelay * retry;
      break;
    default:
      delay = b.initialDelay * b.multiplier ** (retry - 1);
  }
  return delay < b.maxDelay ? delay : b.maxDelay;
}

/**
 * The delay before retry number `retry`, jitter applied; `previous` is the delay before the previous retry
 * (the initial delay for the first), which decorrelated jitter grows from.
 *
 * @example
 * ```ts
 * const b = resolveBackoff({ jitter: 'decorrelated', initialDelay: 100, maxDelay: 5_000 });
 * let delay = b.initialDelay;
 * for (let retry = 1; retry <= 3; retry++) delay = nextDelay(b, retry, delay);
 * ```
 */
export function nextDelay(b: ResolvedBackoff, retry: number, previous: number): number {
  switch (b.jitter) {
    case 'none':
      return baseDelay(b, retry);
    case 'full':
      return b.random() * baseDelay(b, retry);
    case 'decorrelated': {
      const upper = Math.max(b.initialDelay, previous * 3);
      const delay = b.initialDelay + b.random() * (upper - b.initialDelay);
      return delay < b.maxDelay ? delay : b.maxDelay;
    }
    default: {
      const delay = baseDelay(b, retry) * (1 - b.jitterFactor + 2 * b.jitterFactor * b.random());
      return delay < b.maxDelay ? delay : b.maxDelay;
    }
  }
}

class Backoff implements IBackoff<unknown> {
  readonly duration: number;
  constructor(
    private readonly options: ResolvedBackoff,
    private readonly retry: number,
    previous: number,
  ) {
    this.duration = nextDelay(options, retry, previous);
  }
  next(): IBackoff<unknown> {
    return new Backoff(this.options, this.retry + 1, this.duration);
  }
}

/**
 * Our backoff as cockatiel's `IBackoffFactory`, for use with cockatiel's own `retry()` or a breaker's
 * `halfOpenAfter`.
 *
 * @example
 * ```ts
 * import { handleAll, retry as cockatielRetry } from 'cockatiel';
 *
 * const policy = cockatielRetry(handleAll, { maxAttempts: 3, backoff: backoffFactory({ jitter: 'decorrelated' }) });
 * ```
 */
export function backoffFactory(options: BackoffOptions = {}): IBackoffFactory<unknown> {
  const resolved = resolveBackoff(options);
  return { next: () => new Backoff(resolved, 1, resolved.initialDelay) };
}
