/**
 * Helpers of the task platform's end-to-end tests: a probe that records what crosses the topics, tokens,
 * JSON requests and polling.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { jwtKey, signUserToken } from '../../../examples/task-platform/api/auth.js';
import { DEV_JWT_SECRET } from '../../../examples/task-platform/backend-api.js';
import {
  createBus,
  DEAD_LETTER_HEADERS,
  type Envelope,
  type Transport,
  type WireHeaders,
} from '../../../src/index.js';

/** A parsed JSON body, read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
export type Json = any;

/** What a probe saw on one topic. */
export interface Seen {
  readonly envelopes: Envelope[];
  /** Raw messages (dead-letter topics carry their headers). */
  readonly raw: { headers: WireHeaders; body: string }[];
}

/** Records every message on `topics` from the beginning, in a group of its own. */
export async function probe(
  transport: Transport,
  topics: readonly string[],
  raw: readonly string[] = [],
): Promise<{ seen: Record<string, Seen>; close(): Promise<void> }> {
  const bus = createBus({ transport, source: `probe-${randomUUID().slice(0, 8)}`, telemetry: false });
  const seen: Record<string, Seen> = {};
  for (const topic of [...topics, ...raw]) seen[topic] = { envelopes: [], raw: [] };
  // A group per topic: Kafka consumers of one group should subscribe to the same topics.
  for (const [index, topic] of topics.entries()) {
    await bus.subscribeTopic(topic, (envelope) => void seen[topic]!.envelopes.push(envelope), {
      group: `${bus.source}-${index}`,
      startFrom: 'earliest',
      concurrency: 4,
      ordered: false,
    });
  }
  for (const [index, topic] of raw.entries()) {
    await transport.subscribe(
      topic,
      async (delivery) => {
        seen[topic]!.raw.push({
          headers: delivery.message.headers,
          body: new TextDecoder().decode(delivery.message.body),
        });
        await delivery.ack();
      },
      { group: `${bus.source}-raw-${index}`, startFrom: 'earliest' },
    );
  }
  return { seen, close: () => bus.close({ graceMs: 500 }) };
}

/** The dead-letter reason of a raw message. */
export const reasonOf = (message: { headers: WireHeaders }): string | undefined =>
  message.headers[DEAD_LETTER_HEADERS.reason];

/** A user token signed with the dev secret. */
export function token(
  sub: string,
  extra: { email?: string; name?: string } = {},
  expiresIn: string | number = '24h',
) {
  return signUserToken(jwtKey(DEV_JWT_SECRET), { sub, ...extra }, expiresIn);
}

/** A JSON request; returns the status, headers and parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** Resolves when `check` holds; polls every 10 ms; fails after `timeoutMs` naming `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An RFC 3339 time `ms` from now, whole seconds. */
export const fromNow = (ms: number): string =>
  new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString();

/** The seed's error body: `{ error: { code, message, details, timestamp, trace_id } }`. */
export function isErrorBody(body: Json, code: string): boolean {
  const error = body?.error;
  return (
    error?.code === code &&
    typeof error.message === 'string' &&
    typeof error.details === 'object' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(error.timestamp) &&
    /^[0-9a-f-]{36}$/.test(error.trace_id)
  );
}
