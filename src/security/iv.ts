/**
 * GCM nonces that never repeat within a process: a 64-bit random prefix and a 32-bit counter (NIST SP 800-38D
 * section 8.2.1's deterministic construction, with a random field in place of a device id). The counter makes
 * repeats impossible inside one sequence; when it wraps, a fresh prefix never used by this sequence is drawn.
 * Across processes the 64-bit prefixes collide with negligible probability, and even then only if the two
 * counters meet, which is at least as strong as a fully random 96-bit IV and much cheaper per message.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

/**
 * Length of an AES-GCM IV in bytes (96 bits).
 *
 * @example
 * ```ts
 * import { IV_BYTES } from 'switchboard';
 *
 * // an encrypted body is iv || ciphertext || 16-byte tag
 * const iv = wire.body.subarray(0, IV_BYTES);
 * const ciphertext = wire.body.subarray(IV_BYTES, wire.body.length - 16);
 * ```
 */
export const IV_BYTES = 12;
const COUNTER_LIMIT = 2 ** 32;

/**
 * A source of unique 96-bit IVs; one per codec, shared by all its keys.
 *
 * @example
 * ```ts
 * import { createCipheriv } from 'node:crypto';
 * import { IvSequence } from 'switchboard';
 *
 * const ivs = new IvSequence(); // one per process and key set, as secureCodec keeps one per codec
 * const cipher = createCipheriv('aes-256-gcm', key, ivs.next()); // a 12-byte IV this sequence never repeats
 * ```
 */
export class IvSequence {
  #prefix: Buffer = Buffer.alloc(8);
  #counter = COUNTER_LIMIT;
  readonly #usedPrefixes = new Set<string>();

  /** The next IV: a new 12-byte buffer. */
  next(): Buffer {
    if (this.#counter >= COUNTER_LIMIT) this.#refill();
    const iv = Buffer.allocUnsafe(IV_BYTES);
    this.#prefix.copy(iv, 0);
    iv.writeUInt32BE(this.#counter++, 8);
    return iv;
  }

  #refill(): void {
    let prefix: Buffer;
    do prefix = randomBytes(8);
    while (this.#usedPrefixes.has(prefix.toString('hex')));
    this.#usedPrefixes.add(prefix.toString('hex'));
    this.#prefix = prefix;
    this.#counter = 0;
  }

  /** Jumps the counter, so tests reach the wrap-around without 2^32 calls. @internal */
  skipTo(counter: number): void {
    if (this.#counter >= COUNTER_LIMIT) this.#refill();
    this.#counter = counter;
  }
}
