/**
 * Helpers for the `nats` integration tests: the server address from the global setup, unique names, and a
 * cleanup that deletes every stream a test file made on the shared server.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, nuid } from '@nats-io/transport-node';
import { describe, inject } from 'vitest';
import './nats-provided-context.js';
import { skipWithout } from './broker-skip.js';

/** Address of the nats-server of this run, `''` when there is none (then the tests skip). */
export const natsUrl: string = inject('natsUrl');

/**
 * `describe` when a server is there; skipped otherwise, outside CI only (the global setup printed why; with
 * `CI=true` a missing server fails the run, see broker-skip.ts).
 */
export const describeNats = describe.skipIf(
  skipWithout('nats-server', natsUrl === '' ? 'no nats-server' : ''),
);

/** A name no other test uses: letters and digits only, so it is a valid topic, stream and consumer name. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${nuid.next().slice(-12)}`;
}

/** A stream prefix unique to one test file; {@link deleteStreams} removes everything under it. */
export function uniqueStreamPrefix(): string {
  return `SWBT${nuid.next().slice(-10)}_`;
}

/** Opens a plain nats.js connection for test assertions. */
export function rawConnection(url = natsUrl): Promise<NatsConnection> {
  return connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
}

/** Deletes every stream whose name starts with `prefix`. */
export async function deleteStreams(prefix: string, url = natsUrl): Promise<void> {
  if (url === '') return;
  const nc = await rawConnection(url);
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/** Resolves when `check()` is true, polling every 10 ms; rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Text to bytes. */
export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Bytes to text. */
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);
