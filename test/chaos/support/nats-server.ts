/**
 * A private nats-server per scenario (its own port and store directory), with the faults the scenarios inject:
 * SIGKILL, SIGSTOP/SIGCONT, restart on the same port and store. Every pid it gets is registered for the teardown.
 *
 * @module
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type RestartableNatsServer, startNatsServer } from '../../../scripts/nats/server.js';
import {
  type NatsTransport,
  type NatsTransportOptions,
  natsTransport,
} from '../../../src/transport/nats/index.js';
import { runDir } from './env.js';
import { trackPid } from './processes.js';
import { until } from './timing.js';

/** A private nats-server and its faults. */
export interface ChaosNats {
  readonly url: string;
  readonly server: RestartableNatsServer;
  /** SIGKILL (no shutdown of any kind) and wait until the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store directory. */
  start(): Promise<void>;
  /** SIGSTOP for `ms`, then SIGCONT. */
  freeze(ms: number): Promise<void>;
  /** Stops it for good and removes its store. */
  stop(): Promise<void>;
}

/** Starts a private `nats-server -js`. */
export async function chaosNats(): Promise<ChaosNats> {
  const server = await startNatsServer();
  const track = (): void => {
    if (server.pid !== undefined) trackPid(runDir, server.pid, server.storeDir);
  };
  track();
  return {
    url: server.url,
    server,
    async kill() {
      const pid = server.pid;
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      await until(() => server.pid === undefined, 10_000, 'nats-server to die');
    },
    async start() {
      await server.start();
      track();
    },
    freeze: (ms) => server.freeze(ms),
    stop: () => server.stop(),
  };
}

/** A JetStream transport on `url` that reconnects forever, quickly. */
export function chaosNatsTransport(url: string, options: Partial<NatsTransportOptions> = {}): NatsTransport {
  return natsTransport({
    servers: url,
    reconnectTimeWait: 100,
    maxReconnectAttempts: -1,
    ...options,
  } as NatsTransportOptions);
}

/** Every stream on the server with the names of its durable consumers. */
export async function consumersByStream(url: string): Promise<Map<string, string[]>> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const result = new Map<string, string[]>();
    for await (const stream of jsm.streams.list()) {
      const names: string[] = [];
      for await (const info of jsm.consumers.list(stream.config.name)) names.push(info.name);
      result.set(stream.config.name, names);
    }
    return result;
  } finally {
    await nc.close();
  }
}

/**
 * Deletes the consumer `name` of `stream` as an operator would (`nats consumer rm`). nats-server 2.9 sometimes
 * answers a delete of a busy file-backed consumer with an `unlinkat ... directory not empty` error after it did
 * remove the consumer; the delete counts once the consumer is gone.
 */
export async function deleteConsumer(url: string, stream: string, name: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (let attempt = 1; ; attempt++) {
      try {
        await jsm.consumers.delete(stream, name);
        return;
      } catch (error) {
        const gone = await jsm.consumers.info(stream, name).then(
          () => false,
          () => true,
        );
        if (gone) return;
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await nc.close();
  }
}
