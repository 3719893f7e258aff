/**
 * The default idempotency key of an envelope and the type of a custom key function.
 *
 * @module
 */
import type { Envelope } from '../envelope/types.js';

/**
 * Derives the idempotency key of a received message. The bus calls it before `reserve`.
 *
 * @example
 * ```ts
 * // Deduplicate on a business id carried in the data instead of the event id.
 * const byOrder: IdempotencyKeyFn = (e) => `order:${(e.data as { orderId: string }).orderId}`;
 * ```
 */
export type IdempotencyKeyFn = (envelope: Pick<Envelope, 'source' | 'id'> & Partial<Envelope>) => string;

// `%` first so an already escaped sequence in the input stays distinct from one we produce.
function escapePart(part: string): string {
  return part.replaceAll('%', '%25').replaceAll(':', '%3A');
}

/**
 * The default idempotency key: `source` and `id`, the pair CloudEvents says identifies an event, joined by `:`.
 *
 * Both parts are escaped (`%` as `%25`, `:` as `%3A`) so a `source` that contains `:` (a URN, a URL) can never
 * make two different events share a key: `a:b` + `c` and `a` + `b:c` give different keys.
 *
 * @example
 * ```ts
 * idempotencyKey({ source: 'urn:svc:billing', id: '42' }); // 'urn%3Asvc%3Abilling:42'
 * ```
 */
export const idempotencyKey: IdempotencyKeyFn = (envelope) =>
  `${escapePart(envelope.source)}:${escapePart(envelope.id)}`;
