/**
 * Seed 004's standard message envelope, as a view of Switchboard's CloudEvents envelope: every field of the seed
 * has an attribute it maps to, so the HTTP API speaks the seed's shape while the bus carries CloudEvents.
 *
 * | seed field           | envelope attribute                                              |
 * |----------------------|-----------------------------------------------------------------|
 * | `message_id`         | `id` (UUID v7: unique like the seed's uuid4, and time-ordered)  |
 * | `correlation_id`     | `correlationid`                                                 |
 * | `timestamp`          | `time` (RFC 3339 with nanoseconds), as unix nanoseconds         |
 * | `source_system`      | `source`                                                        |
 * | `destination_system` | `destination` (targeted delivery)                               |
 * | `message_type`       | `type`                                                          |
 * | `schema_version`     | `schemaversion`                                                 |
 * | `payload`            | `data`, Avro-encoded through the schema registry                |
 * | `metadata`           | CloudEvents extensions (lower-case letters and digits)          |
 *
 * @module
 */
import type { Envelope } from '../../src/index.js';

/** A message in seed 004's envelope. */
export interface StandardMessage {
  readonly message_id: string;
  readonly correlation_id: string | null;
  /** Unix time in nanoseconds, as a decimal string (it does not fit a JSON number). */
  readonly timestamp: string;
  readonly source_system: string;
  readonly destination_system: string | null;
  readonly message_type: string;
  readonly schema_version: string | null;
  readonly payload: unknown;
  readonly metadata: Readonly<Record<string, string>>;
}

const RFC3339_PARTS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Unix nanoseconds of an RFC 3339 time, exact (no float rounding): milliseconds would lose what the seed asks
 * for ("unix_nanosecond_precision").
 *
 * @example
 * ```ts
 * unixNanos('2026-01-02T03:04:05.123456789Z'); // '1767323045123456789'
 * ```
 */
export function unixNanos(time: string): string {
  const parts = RFC3339_PARTS.exec(time);
  if (parts === null) throw new Error('not an RFC 3339 time');
  const seconds = Date.parse(`${parts[1]}${parts[3]}`);
  const fraction = BigInt((parts[2] ?? '').padEnd(9, '0'));
  return (BigInt(seconds) * 1_000_000n + fraction).toString();
}

/**
 * The seed's view of an envelope.
 *
 * @example
 * ```ts
 * const message = toStandardMessage(envelope);
 * message.timestamp; // '1767323045123456789'
 * ```
 */
export function toStandardMessage(envelope: Envelope): StandardMessage {
  return {
    message_id: envelope.id,
    correlation_id: envelope.correlationid ?? null,
    timestamp: unixNanos(envelope.time),
    source_system: envelope.source,
    destination_system: envelope.destination ?? null,
    message_type: envelope.type,
    schema_version: envelope.schemaversion ?? null,
    payload: envelope.data,
    metadata: { ...envelope.extensions },
  };
}
