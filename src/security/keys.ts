/**
 * Key rings: several named secrets, one of them active for new messages, the others still accepted for a grace
 * period after they were rotated out. Secrets are turned into `KeyObject`s at once, so printing or logging a
 * resolved ring never shows key material.
 *
 * @module
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { invalidConfig, rejected } from './errors.js';

/** One secret of a {@link KeyRing}. */
export interface SecretKey {
  /**
   * Names the key on the wire (`swb-signature-keyid`, `swb-encryption-keyid`). Not secret: 1 to 64 characters
   * from `A-Z a-z 0-9 . _ -`.
   */
  readonly id: string;
  /**
   * The key material: bytes, or a string holding them in base64 or base64url. Signing keys need at least 32
   * bytes; encryption keys exactly 32 (AES-256).
   */
  readonly secret: Uint8Array | string;
  /**
   * When the key was rotated out (a `Date`, epoch milliseconds or an RFC 3339 string). After it the key no
   * longer signs or encrypts; messages made with it are still accepted for the ring's `graceMs`, then rejected.
   */
  readonly notAfter?: Date | number | string | undefined;
}

/**
 * A set of keys for one purpose (signing or encryption).
 *
 * @example
 * ```ts
 * import type { KeyRing } from 'switchboard';
 *
 * const ring: KeyRing = {
 *   keys: [
 *     { id: '2026-10', secret: process.env.SIGNING_KEY_OCT!, notAfter: '2026-11-01T00:00:00Z' },
 *     { id: '2026-11', secret: process.env.SIGNING_KEY_NOV! },
 *   ],
 *   activeKeyId: '2026-11',
 *   graceMs: 15 * 60_000,
 * };
 * ```
 */
export interface KeyRing {
  /** Every key that may still be met on incoming messages. */
  readonly keys: readonly SecretKey[];
  /** The key that signs or encrypts outgoing messages. */
  readonly activeKeyId: string;
  /**
   * How long after its `notAfter` a rotated-out key is still accepted on incoming messages, for messages that
   * were in flight during the rotation. Default 10 minutes (twice the default replay window).
   */
  readonly graceMs?: number | undefined;
}

/** A key ready for use. */
export interface ResolvedKey {
  readonly id: string;
  readonly key: KeyObject;
  /** Epoch ms after which it no longer signs or encrypts; `Infinity` when never rotated out. */
  readonly notAfterMs: number;
}

/**
 * Default grace period of a rotated-out key: 10 minutes.
 *
 * @example
 * ```ts
 * import { DEFAULT_GRACE_MS, type KeyRing } from 'switchboard';
 *
 * // messages can sit in a backlog for up to 30 minutes: accept a rotated-out key three times as long
 * const signing: KeyRing = { keys, activeKeyId: '2026-11', graceMs: 3 * DEFAULT_GRACE_MS };
 * ```
 */
export const DEFAULT_GRACE_MS = 10 * 60_000;

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * A resolved {@link KeyRing}: lookups by id with the rotation rules applied.
 *
 * @example
 * ```ts
 * import { ResolvedKeyRing } from 'switchboard';
 *
 * // check a signing ring at startup with secureCodec's rules (at least 32 bytes per key)
 * const ring = new ResolvedKeyRing(signingRing, 'signing', 32, false);
 * const { id } = ring.active(Date.now()); // throws SWB_CONFIG_INVALID once the active key is retired
 * ring.accepted('2026-10', Date.now()); // throws SWB_UNKNOWN_KEY once that key's grace period is over
 * ```
 */
export class ResolvedKeyRing {
  readonly #keys = new Map<string, ResolvedKey>();
  readonly #activeKeyId: string;
  readonly #graceMs: number;
  readonly #purpose: string;

  constructor(ring: KeyRing, purpose: 'signing' | 'encryption', minBytes: number, exactBytes: boolean) {
    this.#purpose = purpose;
    if (typeof ring !== 'object' || ring === null || !Array.isArray(ring.keys) || ring.keys.length === 0) {
      throw invalidConfig(`${purpose}.keys`, 'must list at least one key');
    }
    const graceMs = ring.graceMs ?? DEFAULT_GRACE_MS;
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
      throw invalidConfig(`${purpose}.graceMs`, 'must be a non-negative integer of milliseconds');
    }
    this.#graceMs = graceMs;
    ring.keys.forEach((entry, index) => {
      const path = `${purpose}.keys[${index}]`;
      if (typeof entry?.id !== 'string' || !KEY_ID.test(entry.id)) {
        throw invalidConfig(`${path}.id`, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ -');
      }
      if (this.#keys.has(entry.id)) throw invalidConfig(`${path}.id`, `repeats the key id '${entry.id}'`);
      const bytes = secretBytes(entry.secret, `${path}.secret`);
      if (exactBytes ? bytes.length !== minBytes : bytes.length < minBytes) {
        throw invalidConfig(
          `${path}.secret`,
          `must be ${exactBytes ? 'exactly' : 'at least'} ${minBytes} bytes`,
        );
      }
      const key = createSecretKey(bytes);
      // The copy we decoded is no longer needed: the KeyObject holds its own.
      if (typeof entry.secret === 'string') bytes.fill(0);
      this.#keys.set(entry.id, {
        id: entry.id,
        key,
        notAfterMs: notAfterMs(entry.notAfter, `${path}.notAfter`),
      });
    });
    if (!this.#keys.has(ring.activeKeyId)) {
      throw invalidConfig(`${purpose}.activeKeyId`, 'must name one of the keys');
    }
    this.#activeKeyId = ring.activeKeyId;
  }

  /**
   * The key for new messages at `nowMs`.
   *
   * @throws SwitchboardError `SWB_CONFIG_INVALID` when the active key is past its `notAfter`: rotation is overdue
   * and sending with a retired key would only get the message rejected downstream.
   */
  active(nowMs: number): ResolvedKey {
    const key = this.#keys.get(this.#activeKeyId)!;
    if (nowMs > key.notAfterMs) {
      throw invalidConfig(
        `${this.#purpose}.activeKeyId`,
        `names key '${key.id}', which is past its notAfter`,
      );
    }
    return key;
  }

  /**
   * The key an incoming message names, if it is still accepted at `nowMs`.
   *
   * @throws SwitchboardError `SWB_UNKNOWN_KEY` for a key id not in the ring, or one rotated out longer ago than
   * the grace period.
   */
  accepted(id: string, nowMs: number): ResolvedKey {
    const key = this.#keys.get(id);
    if (key === undefined) {
      throw rejected('SWB_UNKNOWN_KEY', `${this.#purpose} key id is not in the key ring`, {
        purpose: this.#purpose,
        reason: 'unknown',
      });
    }
    if (nowMs > key.notAfterMs + this.#graceMs) {
      throw rejected(
        'SWB_UNKNOWN_KEY',
        `${this.#purpose} key '${id}' was rotated out and its grace period is over`,
        {
          purpose: this.#purpose,
          keyId: id,
          reason: 'retired',
        },
      );
    }
    return key;
  }
}

function secretBytes(secret: unknown, path: string): Buffer {
  if (secret instanceof Uint8Array) return Buffer.from(secret);
  if (typeof secret === 'string' && secret.length > 0 && BASE64.test(secret)) {
    return Buffer.from(secret, secret.includes('-') || secret.includes('_') ? 'base64url' : 'base64');
  }
  throw invalidConfig(path, 'must be bytes or a base64 string');
}

function notAfterMs(value: SecretKey['notAfter'], path: string): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));
  if (!Number.isFinite(ms))
    throw invalidConfig(path, 'must be a date, epoch milliseconds or an RFC 3339 string');
  return ms;
}
