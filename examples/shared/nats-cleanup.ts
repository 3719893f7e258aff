/**
 * Removes the JetStream streams a run created, so a demo run leaves the server as it found it. Shared by the
 * payments and wallet examples.
 *
 * @module
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * Deletes every stream whose name starts with `prefix` (the `STREAM_PREFIX` of the run).
 *
 * @returns the names deleted.
 * @example
 * ```ts
 * await deleteNatsStreams('nats://127.0.0.1:4222', 'SWB_WALLET_1a2b3c4d_');
 * ```
 */
export async function deleteNatsStreams(natsUrl: string, prefix: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl });
  const deleted: string[] = [];
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix) && (await jsm.streams.delete(name))) deleted.push(name);
    }
  } finally {
    await nc.close();
  }
  return deleted;
}
