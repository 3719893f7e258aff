/**
 * Kafka's default partitioner hash (murmur2 over the key's UTF-8 bytes, seed `0x9747b28c`), so a key lands on
 * the same partition number in the in-memory transport as in a Kafka topic with the same partition count.
 *
 * @module
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const encoder = new TextEncoder();
// One scratch buffer reused for every key: keys are short and hashing runs on the publish hot path.
let scratch = new Uint8Array(256);

function hashBytes(data: Uint8Array, length: number): number {
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail bytes mix in the same order as Kafka's fall-through switch.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

function utf8Into(key: string): number {
  const n = key.length;
  if (scratch.length < n * 3) scratch = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(key, scratch).written;
    scratch[i] = c;
  }
  return n;
}

/**
 * Kafka's `Utils.murmur2` of the UTF-8 bytes of `key`, as a signed 32-bit integer.
 *
 * @example
 * ```ts
 * murmur2('foobar'); // -790332482, as Kafka computes it
 * ```
 */
export function murmur2(key: string): number {
  // Encode first: encoding may replace `scratch` with a larger buffer.
  const length = utf8Into(key);
  return hashBytes(scratch, length);
}

/**
 * The partition Kafka's default partitioner picks for `key` among `partitions`: `(murmur2(key) & 0x7fffffff) %
 * partitions`.
 *
 * @example
 * ```ts
 * partitionForKey('order-42', 8); // the same number a Kafka producer would pick
 * ```
 */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
