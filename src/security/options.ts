/**
 * Options of the security layer, per bus (`createBus({ security })`) or per codec (`secureCodec`).
 *
 * @module
 */
import { invalidConfig } from './errors.js';
import type { KeyRing } from './keys.js';
import type { ReplayOptions } from './replay.js';

/**
 * What to protect and how. Every part is opt-in; whatever is configured is required on every message of a
 * protected type, so a stripped signature or a plain-text body is rejected, never accepted as a downgrade.
 *
 * @example
 * ```ts
 * const security: SecurityOptions = {
 *   signing: { keys: [{ id: 'k1', secret: process.env.SWB_SIGNING_KEY! }], activeKeyId: 'k1' },
 *   encryption: { keys: [{ id: 'e1', secret: process.env.SWB_ENCRYPTION_KEY! }], activeKeyId: 'e1' },
 *   replay: { windowMs: 5 * 60_000, skewMs: 30_000, store: memoryIdempotencyStore() },
 *   types: (type) => type.startsWith('payment.'),
 * };
 * ```
 */
export interface SecurityOptions {
  /** HMAC-SHA256 signatures over the attribute headers and the body digest. */
  readonly signing?: KeyRing | undefined;
  /** AES-256-GCM encryption of the body, with the attribute headers as additional authenticated data. */
  readonly encryption?: KeyRing | undefined;
  /**
   * A time window on the authenticated `time`, plus an idempotency store of seen ids. Needs `signing` or
   * `encryption`: an unauthenticated `time` could simply be rewritten.
   */
  readonly replay?: ReplayOptions | undefined;
  /**
   * The message types protected: a list, or a predicate. Default: every type. Messages of other types are
   * written and read as they are (a signed or encrypted one is still checked).
   */
  readonly types?: readonly string[] | ((type: string) => boolean) | undefined;
  /** Clock for key rotation and the replay window, in epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** Checks the overall shape: something to do, and replay only with authenticated attributes. */
export function checkSecurityOptions(options: SecurityOptions): void {
  if (typeof options !== 'object' || options === null) throw invalidConfig('security', 'must be an object');
  if (options.signing === undefined && options.encryption === undefined) {
    throw invalidConfig('security', 'needs `signing`, `encryption` or both');
  }
  const { types, now } = options;
  if (types !== undefined && typeof types !== 'function' && !Array.isArray(types)) {
    throw invalidConfig('security.types', 'must be a list of types or a predicate');
  }
  if (now !== undefined && typeof now !== 'function') {
    throw invalidConfig('security.now', 'must be a function returning epoch milliseconds');
  }
}

/** The `types` option as a predicate. */
export function protectedTypes(types: SecurityOptions['types']): (type: string) => boolean {
  if (types === undefined) return () => true;
  if (typeof types === 'function') return types;
  const set = new Set(types);
  return (type) => set.has(type);
}
