/**
 * Message security: HMAC-SHA256 signatures with rotating key rings, AES-256-GCM payload encryption with the
 * envelope attributes as additional authenticated data, and replay protection (a time window plus an
 * idempotency store). Opt-in per bus (`createBus({ security })`) or per codec (`secureCodec`).
 *
 * @module
 */

export { ENCRYPTION_SCHEME, SECURITY_HEADERS, SIGNATURE_SCHEME } from './canonical.js';
export { IV_BYTES, IvSequence } from './iv.js';
export type { KeyRing, ResolvedKey, SecretKey } from './keys.js';
export { DEFAULT_GRACE_MS, ResolvedKeyRing } from './keys.js';
export type { SecurityOptions } from './options.js';
export type { ReplayOptions, ReplayScope, ResolvedReplay } from './replay.js';
export { DEFAULT_CLOCK_SKEW_MS, DEFAULT_REPLAY_WINDOW_MS } from './replay.js';
export type { SecureCodec } from './secure-codec.js';
export { secureCodec } from './secure-codec.js';
