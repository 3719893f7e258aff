/**
 * Message ids: UUID v7 from the `uuid` package, with pooled randomness.
 *
 * `uuid`'s default v7 calls `crypto.getRandomValues` for 16 bytes on every id, which was the largest single cost
 * of a publish on the in-memory bus (about 14 % of the profile). Here the random bytes come from a 4 KiB pool
 * refilled from the same CSPRNG, and we keep v7's monotonic millisecond + sequence state ourselves (uuid only
 * keeps it on its no-options path), so ids stay time-ordered and strictly increasing within a process.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let offset = POOL_BYTES;
let lastMs = Number.NEGATIVE_INFINITY;
let seq = 0;

function random16(): Uint8Array {
  if (offset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  return bytes;
}

/**
 * A new UUID v7: 48 bits of Unix milliseconds, a 31-bit sequence seeded at random each millisecond and
 * incremented within it (RFC 9562 method 1, as `uuid` does), and random bits.
 *
 * @example
 * ```ts
 * newMessageId(); // '019a4f0c-5b7e-7c3a-9d1e-2f6b8a4c1d0e'
 * ```
 */
export function newMessageId(): string {
  const random = random16();
  let msecs = Date.now();
  if (msecs > lastMs) {
    // Seed the sequence from the random bytes, as uuid does (31 bits).
    seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    lastMs = msecs;
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++;
    msecs = lastMs;
  }
  return v7({ random, msecs, seq });
}
