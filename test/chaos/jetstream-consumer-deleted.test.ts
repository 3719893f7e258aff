/**
 * Chaos scenario 3: the durable JetStream consumer is deleted mid-run, as an operator running
 * `nats consumer rm` would. The transport reports a typed `consumer.deleted` event, recreates the consumer and
 * carries on: no crash, nothing lost, side effects once with the idempotency store.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import type { TransportEventMap } from '../../src/transport/types.js';
import { describeServers } from './support/env.js';
import { Ledger } from './support/ledger.js';
import {
  type ChaosNats,
  chaosNats,
  chaosNatsTransport,
  consumersByStream,
  deleteConsumer,
} from './support/nats-server.js';
import { publishUntilAcknowledged } from './support/publishers.js';
import { settle, sleep, until } from './support/timing.js';

const TYPE = 'chaos.deleted.v1';
const TOTAL = 3000;

describeServers('chaos 3: the durable JetStream consumer deleted mid-run', () => {
  let nats: ChaosNats;
  beforeAll(async () => {
    nats = await chaosNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('emits consumer.deleted, recreates the consumer and loses nothing', async () => {
    const transport = chaosNatsTransport(nats.url, { idleHeartbeatMs: 1000, pullExpiresMs: 5000 });
    const bus = createBus({
      transport,
      source: 'chaos-deleted',
      idempotency: memoryIdempotencyStore(),
      telemetry: false,
    });
    const ledger = new Ledger().watch(bus);
    const deleted: TransportEventMap['consumer.deleted'][0][] = [];
    const restarted: TransportEventMap['consumer.restarted'][0][] = [];
    const busErrors: string[] = [];
    transport.events.on('consumer.deleted', (e) => deleted.push(e));
    transport.events.on('consumer.restarted', (e) => restarted.push(e));
    bus.events.on('error', (e) => busErrors.push(e.context));
    let stream = '';
    let consumer = '';
    let handledAtDelete = 0;
    try {
      await bus.subscribe(
        TYPE,
        async (event) => {
          await sleep(1);
          ledger.effect(event.id);
        },
        { group: 'deleted', concurrency: 8, idempotency: true },
      );
      const found = [...(await consumersByStream(nats.url))].find(([, names]) => names.length === 1);
      expect(found).toBeDefined();
      [stream, [consumer = '']] = found!;
      // Publishing at about 1000 a second while the consumer keeps up.
      const publisher = (async () => {
        for (let n = 0; n < TOTAL; n += 20) {
          await Promise.all(
            Array.from({ length: 20 }, (_, j) =>
              publishUntilAcknowledged(bus, ledger, TYPE, `x-${n + j}`, {}),
            ),
          );
          await sleep(10);
        }
      })();
      await until(() => ledger.effects.size >= TOTAL / 3, 30_000, 'a third handled');
      handledAtDelete = ledger.effects.size;
      await deleteConsumer(nats.url, stream, consumer);
      await publisher;
      await until(() => ledger.complete(), 60_000, 'every acknowledged publish handled');
      await settle(() => ledger.handled + ledger.duplicates, 1500);
    } finally {
      await bus.close({ graceMs: 1000 });
    }
    const after = await consumersByStream(nats.url);

    ledger.report('3 JetStream durable consumer deleted mid-run', {
      'handled-at-delete': handledAtDelete,
      'consumer.deleted-events': deleted.length,
      'consumer.restarted-events': restarted.length,
      'bus-errors': busErrors.length,
    });
    expect(deleted.length).toBeGreaterThanOrEqual(1);
    expect(deleted[0]).toEqual({ topic: TYPE, group: 'deleted' });
    expect(restarted.some((e) => e.topic === TYPE && e.group === 'deleted')).toBe(true);
    // The consumer is back under its name (a durable group survives the subscription's close).
    expect(after.get(stream)).toEqual([consumer]);
    expect(handledAtDelete).toBeLessThan(TOTAL);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.acknowledged.size).toBe(TOTAL);
    expect(ledger.effects.size).toBe(TOTAL);
  }, 120_000);
});
