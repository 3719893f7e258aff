import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RestartableNatsServer, startNatsServer } from '../../../scripts/nats/server.js';
import { isSwitchboardError } from '../../../src/errors.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import type { TransportEventMap } from '../../../src/transport/types.js';
import { bytes, describeNats, text, uniqueName, until } from '../../support/nats-helpers.js';

// Everything here stops, freezes or restarts the broker, so it runs on a private nats-server.
describeNats('NATS transport against a failing server', () => {
  let server: RestartableNatsServer;

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('detects a pull consumer whose heartbeats stop, restarts it and keeps consuming', async () => {
    const transport = natsTransport({
      servers: server.url,
      idleHeartbeatMs: 300,
      pullExpiresMs: 5000,
      publishTimeoutMs: 3000,
      reconnectTimeWait: 100,
    });
    const restarted: TransportEventMap['consumer.restarted'][0][] = [];
    transport.events.on('consumer.restarted', (e) => restarted.push(e));
    const topic = uniqueName();
    const got: string[] = [];
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        got.push(text(d.message.body));
        await d.ack();
      },
      { group: 'stall' },
    );
    await transport.publish(topic, { headers: {}, body: bytes('before') });
    await until(() => got.length === 1, 5000, 'first message');
    await server.freeze(1500);
    await until(() => restarted.length > 0, 10_000, 'consumer.restarted');
    expect(restarted[0]).toMatchObject({ topic, group: 'stall', reason: 'idle heartbeats missed' });
    await transport.publish(topic, { headers: {}, body: bytes('after') });
    await until(() => got.includes('after'), 10_000, 'message after the stall');
    await sub.close();
    await transport.close();
  }, 30_000);

  it('loses nothing across a restart and reports the connection state meanwhile', async () => {
    const transport = natsTransport({
      servers: server.url,
      reconnectTimeWait: 100,
      idleHeartbeatMs: 500,
      pullExpiresMs: 5000,
    });
    const events: string[] = [];
    transport.events.on('disconnected', () => events.push('disconnected'));
    transport.events.on('connected', () => events.push('connected'));
    const topic = uniqueName();
    const got = new Set<string>();
    const sub = await transport.subscribe(
      topic,
      async (d) => {
        got.add(text(d.message.body));
        await d.ack();
      },
      { group: 'restart', concurrency: 4 },
    );
    await transport.publishBatch(
      topic,
      Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 4}`, headers: {}, body: bytes(`a${i}`) })),
    );
    await server.halt();
    await until(() => events.includes('disconnected'), 5000, 'disconnected event');
    const down = await transport.health();
    expect(down).toMatchObject({ status: 'down', connected: false });
    await server.start();
    await until(() => events.filter((e) => e === 'connected').length >= 2, 10_000, 'reconnected');
    for (let attempt = 0; ; attempt++) {
      try {
        await transport.publishBatch(
          topic,
          Array.from({ length: 100 }, (_, i) => ({ headers: {}, body: bytes(`b${i}`) })),
        );
        break;
      } catch (error) {
        // JetStream may need a moment after the restart before it stores again.
        if (attempt > 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await until(() => got.size === 200, 20_000, 'all 200 messages');
    expect((await transport.health()).status).toBe('up');
    await sub.close();
    await transport.close();
  }, 60_000);

  it('rejects core publishes made while the server is gone instead of dropping them', async () => {
    const transport = natsTransport({
      servers: server.url,
      mode: 'core',
      reconnectTimeWait: 100,
      publishTimeoutMs: 1500,
    });
    await transport.connect();
    const topic = uniqueName();
    await transport.publish(topic, { headers: {}, body: bytes('ok') });
    await server.halt();
    const error = await transport
      .publish(topic, { headers: {}, body: bytes('lost') })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_PUBLISH_FAILED')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    await server.start();
    let published = false;
    for (let attempt = 0; attempt < 40 && !published; attempt++) {
      published = await transport.publish(topic, { headers: {}, body: bytes('again') }).then(
        () => true,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return false;
        },
      );
    }
    expect(published).toBe(true);
    await transport.close();
  }, 30_000);

  it('a transport handed a connection leaves it open; one that connected closes it', async () => {
    const { rawConnection } = await import('../../support/nats-helpers.js');
    const nc = await rawConnection(server.url);
    const borrowed = natsTransport({ connection: nc, mode: 'core' });
    await borrowed.publish(uniqueName(), { headers: {}, body: bytes('x') });
    await borrowed.close();
    expect(nc.isClosed()).toBe(false);
    await nc.close();
    const closedGiven = natsTransport({ connection: nc, mode: 'core' });
    await expect(closedGiven.connect()).rejects.toMatchObject({ code: 'SWB_TRANSPORT_UNAVAILABLE' });
  });
});
