/**
 * Building envelopes: {@link createEnvelope} fills in the id, time, spec version and content type, then checks
 * every attribute.
 *
 * @module
 */
import {
  checkAttribute,
  checkExtensions,
  checkMediaTypeCached,
  checkStringCached,
  KNOWN_KEYS,
  OPTIONAL_ATTRIBUTES,
} from './attributes.js';
import { invalidEnvelope } from './fail.js';
import { newMessageId } from './id.js';
import { nowRfc3339Nano } from './time.js';
import type { Envelope } from './types.js';
import { sealable, sealEnvelope, validateEnvelope } from './validate.js';

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
  const source = input as unknown as Record<string, unknown>;
  // Same checks and attribute order as validateEnvelope, in one pass over the input's own keys and without a
  // copy of it: a generated id or time is valid by construction, and type, source and content type repeat on
  // every message, so their checks are remembered. Only own properties count (as with a spread copy), so a
  // polluted Object.prototype cannot add attributes.
  let id: unknown;
  let from: unknown;
  let type: unknown;
  let specversion: unknown;
  let time: unknown;
  let contentType: unknown;
  let data: unknown;
  let extensionsInput: unknown;
  let optional = false;
  for (const key of Object.keys(source)) {
    const v = source[key];
    if (v === undefined) continue;
    switch (key) {
      case 'id':
        id = v;
        break;
      case 'source':
        from = v;
        break;
      case 'type':
        type = v;
        break;
      case 'specversion':
        specversion = v;
        break;
      case 'time':
        time = v;
        break;
      case 'datacontenttype':
        contentType = v;
        break;
      case 'data':
        data = v;
        break;
      case 'extensions':
        extensionsInput = v;
        break;
      default:
        if (!KNOWN_KEYS.has(key)) {
          throw invalidEnvelope(key, 'is not an envelope attribute (put extensions in `extensions`)');
        }
        optional = true;
    }
  }
  const result = sealable();
  if (id === undefined) {
    result.id = newMessageId();
  } else {
    checkAttribute('id', id);
    result.id = id;
  }
  if (from === undefined) throw invalidEnvelope('source', 'is required');
  checkStringCached('source', from);
  result.source = from;
  if (type === undefined) throw invalidEnvelope('type', 'is required');
  checkStringCached('type', type);
  result.type = type;
  if (specversion !== undefined) checkAttribute('specversion', specversion);
  result.specversion = '1.0';
  if (time === undefined) {
    result.time = nowRfc3339Nano();
  } else {
    checkAttribute('time', time);
    result.time = time;
  }
  if (contentType === undefined) {
    result.datacontenttype = 'application/json';
  } else {
    checkMediaTypeCached(contentType);
    result.datacontenttype = contentType;
  }
  if (optional) {
    for (const field of OPTIONAL_ATTRIBUTES) {
      const v = source[field];
      if (v === undefined || !Object.hasOwn(source, field)) continue;
      checkAttribute(field, v);
      result[field] = v;
    }
  }
  result.data = data;
  const extensions = checkExtensions(extensionsInput);
  if (extensions !== undefined) result.extensions = extensions;
  return sealEnvelope(result as unknown as Envelope<T>);
}
