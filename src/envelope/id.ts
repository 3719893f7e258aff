/**
 * Message ids: UUID v7 (RFC 9562), built as text directly.
 *
 * `uuid`'s v7 fills a fresh 16-byte array and stringifies it byte by byte on every call; with `crypto` random
 * bytes per id that was the largest single cost of a publish on the in-memory bus. Here the random part comes
 * from a pool of CSPRNG bytes, the 48-bit millisecond prefix is written once per millisecond into the ASCII
 * buffer the id is read from, and the monotonic millisecond + sequence state is ours (RFC 9562 method 1, the layout `uuid`
 * writes: 31-bit sequence seeded at random each millisecond, incremented within it), so ids stay time-ordered
 * and strictly increasing within a process.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

// Hex digits as ASCII codes, by nibble.
const DIGITS = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));
/**
 * The id being built, as ASCII. One flat 36-byte string per id comes out of it ({@link readOut}): concatenating
 * the parts instead made a tree of seven cons strings, about 300 bytes per id.
 */
const text = new Uint8Array(36).fill(0x2d /* - */);

let lastMs = Number.NEGATIVE_INFINITY;
let seq = 0;

/** Takes `n` random bytes from the pool; returns their offset. */
function take(n: number): number {
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/**
 * A new UUID v7: 48 bits of Unix milliseconds, a 31-bit sequence seeded at random each millisecond and
 * incremented within it, and random bits.
 *
 * @example
 * ```ts
 * newMessageId(); // '019a4f0c-5b7e-7c3a-9d1e-2f6b8a4c1d0e'
 * ```
 */
export function newMessageId(): string {
  const at = take(6);
  let msecs = Date.now();
  if (msecs > lastMs) {
    // A fresh millisecond: seed the sequence at random (31 bits), as uuid does.
    const s = take(4);
    seq = ((pool[s]! & 0x7f) << 24) | (pool[s + 1]! << 16) | (pool[s + 2]! << 8) | pool[s + 3]!;
    lastMs = msecs;
    writeMs(msecs);
  } else {
    seq = (seq + 1) | 0;
    if (seq === 0) {
      lastMs++;
      writeMs(lastMs);
    }
    msecs = lastMs;
  }
  // Bytes 6-9 carry the version, the variant and the sequence; byte 10 the last sequence bits.
  byte(14, 0x70 | ((seq >>> 28) & 0x0f));
  byte(16, (seq >>> 20) & 0xff);
  byte(19, 0x80 | ((seq >>> 14) & 0x3f));
  byte(21, (seq >>> 6) & 0xff);
  byte(24, ((seq << 2) & 0xff) | (pool[at]! & 0x03));
  for (let i = 1, j = 26; i < 6; i++, j += 2) byte(j, pool[at + i]!);
  return readOut(text);
}

/**
 * The 36 ASCII codes as one flat string. `String.fromCharCode` with the codes as arguments builds the string
 * in one step inside V8; `Buffer#toString('latin1')` crossed into C++ and cost about half as much again.
 */
function readOut(t: Uint8Array): string {
  // biome-ignore format: 36 arguments, twelve to a line
  return String.fromCharCode(
    t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!, t[8]!, t[9]!, t[10]!, t[11]!,
    t[12]!, t[13]!, t[14]!, t[15]!, t[16]!, t[17]!, t[18]!, t[19]!, t[20]!, t[21]!, t[22]!, t[23]!,
    t[24]!, t[25]!, t[26]!, t[27]!, t[28]!, t[29]!, t[30]!, t[31]!, t[32]!, t[33]!, t[34]!, t[35]!,
  );
}

function byte(position: number, value: number): void {
  text[position] = DIGITS[value >>> 4]!;
  text[position + 1] = DIGITS[value & 0x0f]!;
}

/** Writes bytes 0-5 (48-bit Unix milliseconds) at positions 0-7 and 9-12. */
function writeMs(msecs: number): void {
  byte(0, (msecs / 0x10000000000) & 0xff);
  byte(2, (msecs / 0x100000000) & 0xff);
  byte(4, (msecs / 0x1000000) & 0xff);
  byte(6, (msecs / 0x10000) & 0xff);
  byte(9, (msecs / 0x100) & 0xff);
  byte(11, msecs & 0xff);
}
