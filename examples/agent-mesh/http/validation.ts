/**
 * Reading the API's request bodies: seed 004's publish request (its envelope fields in snake case) and the
 * subscription request, checked field by field with errors that name the field.
 *
 * @module
 */
import type { StartPosition } from '../../../src/index.js';
import { isMeshTopic, type MeshTopic, topicOfType } from '../topics.js';
import type { SubscriptionRequest } from './subscriptions.js';

/** A request the API refuses, with the field at fault. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/** A message to publish, as read from a request. */
export interface PublishRequest {
  readonly messageType: string;
  readonly topic: MeshTopic;
  readonly payload: unknown;
  readonly key?: string;
  readonly correlationId?: string;
  readonly destination?: string;
  readonly schemaVersion?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

const METADATA_KEY = /^[a-z0-9]{1,20}$/;
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadRequest(field, 'must be an object');
  return value as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string, prefix: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256)
    throw new BadRequest(`${prefix}${field}`, 'must be a string of 1-256 characters');
  return value;
}

/**
 * Reads one publish request: `message_type` and `payload` are required; `topic` is required for a type the mesh
 * does not know and must match the type's topic otherwise; `metadata` keys follow the CloudEvents extension
 * naming rules (lower-case letters and digits), since that is where they travel.
 */
export function readPublishRequest(value: unknown, prefix = ''): PublishRequest {
  const body = object(value, prefix === '' ? 'body' : prefix.slice(0, -1));
  const messageType = body.message_type;
  if (typeof messageType !== 'string' || !NAME.test(messageType))
    throw new BadRequest(
      `${prefix}message_type`,
      'must be a name of letters, digits, dots, dashes or underscores',
    );
  if (!Object.hasOwn(body, 'payload')) throw new BadRequest(`${prefix}payload`, 'is required');
  const known = topicOfType(messageType);
  const topicField = body.topic;
  let topic: MeshTopic;
  if (topicField === undefined || topicField === null) {
    if (known === undefined)
      throw new BadRequest(`${prefix}topic`, 'is required for a message type the mesh does not know');
    topic = known;
  } else {
    if (typeof topicField !== 'string' || !isMeshTopic(topicField))
      throw new BadRequest(`${prefix}topic`, 'must be one of the mesh topics');
    if (known !== undefined && known !== topicField)
      throw new BadRequest(`${prefix}topic`, `does not carry ${messageType} (it goes to ${known})`);
    topic = topicField;
  }
  const metadata: Record<string, string> = {};
  if (body.metadata !== undefined && body.metadata !== null) {
    for (const [name, v] of Object.entries(object(body.metadata, `${prefix}metadata`))) {
      if (!METADATA_KEY.test(name))
        throw new BadRequest(`${prefix}metadata.${name}`, 'name must be 1-20 lower-case letters or digits');
      if (typeof v !== 'string') throw new BadRequest(`${prefix}metadata.${name}`, 'must be a string');
      metadata[name] = v;
    }
  }
  let key = optionalString(body, 'key', prefix);
  if (topic === 'performance_metrics' && key === undefined) {
    // A compacted topic keeps the latest record per key, and Kafka refuses records without one there.
    const agentId = (body.payload as { agentId?: unknown } | null)?.agentId;
    if (typeof agentId !== 'string')
      throw new BadRequest(`${prefix}key`, 'is required on performance_metrics (compacted)');
    key = agentId;
  }
  const correlationId = optionalString(body, 'correlation_id', prefix);
  const destination = optionalString(body, 'destination_system', prefix);
  const schemaVersion = optionalString(body, 'schema_version', prefix);
  return {
    messageType,
    topic,
    payload: body.payload,
    metadata,
    ...(key === undefined ? {} : { key }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(destination === undefined ? {} : { destination }),
    ...(schemaVersion === undefined ? {} : { schemaVersion }),
  };
}

/** Reads a batch: `{ messages: [...] }`, 1 to 500 of them (seed 004's `max_poll_records`). */
export function readBatchRequest(value: unknown): PublishRequest[] {
  const messages = object(value, 'body').messages;
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > 500)
    throw new BadRequest('messages', 'must be an array of 1-500 messages');
  return messages.map((m, i) => readPublishRequest(m, `messages[${i}].`));
}

/** Reads a subscription request. */
export function readSubscriptionRequest(value: unknown): SubscriptionRequest {
  const body = object(value, 'body');
  if (typeof body.topic !== 'string' || !isMeshTopic(body.topic))
    throw new BadRequest('topic', 'must be one of the mesh topics');
  let types: string[] | undefined;
  if (body.types !== undefined) {
    if (!Array.isArray(body.types) || !body.types.every((t) => typeof t === 'string' && NAME.test(t)))
      throw new BadRequest('types', 'must be an array of message types');
    types = body.types as string[];
  }
  const filter = body.filter === undefined ? undefined : object(body.filter, 'filter');
  const startFrom = body.start_from;
  if (startFrom !== undefined && startFrom !== 'earliest' && startFrom !== 'latest')
    throw new BadRequest('start_from', "must be 'earliest' or 'latest'");
  const maxBuffered = body.max_buffered;
  if (
    maxBuffered !== undefined &&
    (!Number.isInteger(maxBuffered) || (maxBuffered as number) < 1 || (maxBuffered as number) > 100_000)
  )
    throw new BadRequest('max_buffered', 'must be an integer from 1 to 100000');
  return {
    topic: body.topic,
    ...(types === undefined ? {} : { types }),
    ...(filter === undefined ? {} : { filter }),
    ...(startFrom === undefined ? {} : { startFrom: startFrom as StartPosition }),
    ...(maxBuffered === undefined ? {} : { maxBuffered: maxBuffered as number }),
  };
}
