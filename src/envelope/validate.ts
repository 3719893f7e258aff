/**
 * Envelope validation: {@link validateEnvelope} for values from anywhere, and the internal bookkeeping that lets
 * the bindings skip re-validating envelopes this module built itself.
 *
 * @module
 */
import {
  checkAttribute,
  checkExtensions,
  KNOWN_KEYS,
  OPTIONAL_ATTRIBUTES,
  REQUIRED_ATTRIBUTES,
} from './attributes.js';
import { invalidEnvelope } from './fail.js';
import type { Envelope } from './types.js';

// Envelopes built by createEnvelope, validateEnvelope or a decoder are frozen after their checks passed and
// inherit from a module-private (frozen) prototype, so a later encode can trust them without checking again.
// (A WeakSet did the same but made every minor GC walk an ephemeron table of millions of envelopes; a
// non-enumerable symbol set with defineProperty cost four times the freeze on every publish.) The prototype's
// own prototype is Object.prototype, so a sealed envelope still reads, spreads and serializes as a plain
// object; copies made with spread or JSON get Object.prototype, lose the mark and are checked again.
const SEALED_PROTO: object = Object.freeze(Object.create(Object.prototype) as object);

/** A fresh, empty object that {@link sealEnvelope} can mark; fill it, then seal it. @internal */
export function sealable(): Record<string, unknown> {
  return Object.create(SEALED_PROTO) as Record<string, unknown>;
}

/**
 * Freezes an envelope whose attributes passed the checks and marks it. The object must come from
 * {@link sealable}; any other object is copied into one first. @internal
 */
export function sealEnvelope<T>(envelope: Envelope<T>): Envelope<T> {
  if (Object.getPrototypeOf(envelope) === SEALED_PROTO) return Object.freeze(envelope);
  return Object.freeze(Object.assign(sealable(), envelope)) as unknown as Envelope<T>;
}

/** Tells whether this module already checked (and froze) `envelope`. @internal */
export function isSealed(envelope: object): boolean {
  return Object.getPrototypeOf(envelope) === SEALED_PROTO && Object.isFrozen(envelope);
}

/**
 * Checks that `value` is a well-formed envelope and returns a frozen copy holding only its defined attributes.
 *
 * Required: `id`, `source`, `type`, `specversion` (`'1.0'`), `time` (RFC 3339), `datacontenttype` (a media
 * type). Every string attribute must be non-empty and free of control characters; `schemaversion` must be a
 * semantic version, `expirytime` RFC 3339, `traceparent` W3C trace context, `dataschema` an absolute URI;
 * extension names follow the CloudEvents rules. Unknown top-level attributes are rejected (they belong in
 * `extensions`). `data` may be anything the codec can carry, `undefined` included.
 *
 * @throws SwitchboardError `SWB_ENVELOPE_INVALID` with `details: { field, reason }`.
 * @example
 * ```ts
 * const envelope = validateEnvelope(JSON.parse(text));
 * console.log(envelope.type);
 * ```
 */
export function validateEnvelope<T = unknown>(value: unknown): Envelope<T> {
  return checkAndSeal<T>(value, NOTHING_TRUSTED);
}

const NOTHING_TRUSTED: ReadonlySet<string> = new Set();

/**
 * {@link validateEnvelope}, skipping the attributes in `trusted`: values this module generated itself (a fresh
 * id, the current time), valid by construction. @internal
 */
export function checkAndSeal<T = unknown>(value: unknown, trusted: ReadonlySet<string>): Envelope<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidEnvelope('envelope', 'must be an object');
  }
  if (isSealed(value)) return value as Envelope<T>;
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (!KNOWN_KEYS.has(key) && source[key] !== undefined) {
      throw invalidEnvelope(key, 'is not an envelope attribute (put extensions in `extensions`)');
    }
  }
  const result = sealable();
  for (const field of REQUIRED_ATTRIBUTES) {
    const v = source[field];
    if (v === undefined) throw invalidEnvelope(field, 'is required');
    if (!trusted.has(field)) checkAttribute(field, v);
    result[field] = v;
  }
  for (const field of OPTIONAL_ATTRIBUTES) {
    const v = source[field];
    if (v === undefined) continue;
    checkAttribute(field, v);
    result[field] = v;
  }
  result.data = source.data;
  const extensions = checkExtensions(source.extensions);
  if (extensions !== undefined) result.extensions = extensions;
  return sealEnvelope(result as unknown as Envelope<T>);
}

/**
 * Checks the attributes of an envelope-shaped object in place, without copying. Used on the encode path for
 * envelopes this module did not build. @internal
 */
export function checkEnvelopeAttributes(envelope: Envelope): void {
  if (isSealed(envelope)) return;
  validateEnvelope(envelope);
}
