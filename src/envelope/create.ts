/**
 * Building envelopes: {@link createEnvelope} fills in the id, time, spec version and content type, then checks
 * every attribute.
 *
 * @module
 */
import { newMessageId } from './id.js';
import { nowRfc3339Nano } from './time.js';
import type { Envelope } from './types.js';
import { checkAndSeal, validateEnvelope } from './validate.js';

/** What {@link createEnvelope} needs: `type`, `source` and `data`; every other attribute is optional. */
export type EnvelopeInput<T = unknown> = Pick<Envelope<T>, 'type' | 'source' | 'data'> &
  Partial<Omit<Envelope<T>, 'type' | 'source' | 'data' | 'specversion'>> & {
    /** Always `1.0`; accepted so an existing envelope's attributes can be passed back in. */
    readonly specversion?: '1.0' | undefined;
  };

/**
 * Creates a validated, frozen envelope.
 *
 * Defaults: `id` a UUID v7 (time-ordered), `time` now in RFC 3339 with nanoseconds, `specversion` `1.0`,
 * `datacontenttype` `application/json` (the serializer replaces it with the codec's media type when a schema
 * from the registry encodes the data).
 *
 * @throws SwitchboardError `SWB_ENVELOPE_INVALID` naming the field and the reason (`details: { field, reason }`).
 * @example
 * ```ts
 * const envelope = createEnvelope({
 *   type: 'task.created.v1',
 *   source: 'backend-api',
 *   subject: 'task-42',
 *   data: { taskId: 'task-42', title: 'Write the report' },
 *   correlationid: 'req-7',
 * });
 * ```
 */
export function createEnvelope<T>(input: EnvelopeInput<T>): Envelope<T> {
  if (typeof input !== 'object' || input === null) return validateEnvelope<T>(input);
  const generateId = input.id === undefined;
  const generateTime = input.time === undefined;
  const trusted = generateId ? (generateTime ? ID_AND_TIME : ID_ONLY) : generateTime ? TIME_ONLY : NONE;
  return checkAndSeal<T>(
    {
      ...input,
      id: generateId ? newMessageId() : input.id,
      specversion: input.specversion ?? '1.0',
      time: generateTime ? nowRfc3339Nano() : input.time,
      datacontenttype: input.datacontenttype ?? 'application/json',
    },
    trusted,
  );
}

// A generated id or time is valid by construction; checking it again was a tenth of a publish.
const ID_AND_TIME: ReadonlySet<string> = new Set(['id', 'time']);
const ID_ONLY: ReadonlySet<string> = new Set(['id']);
const TIME_ONLY: ReadonlySet<string> = new Set(['time']);
const NONE: ReadonlySet<string> = new Set();
