/**
 * Chaos scenario 5: the Kafka broker is stopped and started again twice (same ports, same data) while messages
 * are produced. Every send the broker acknowledged is handled; sends retried after a failure that was in fact
 * stored show up as duplicates, which the idempotency store suppresses.
 */
import { expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { describeKafka } from './support/env.js';
import {
  type ChaosKafka,
  chaosKafka,
  chaosKafkaTransport,
  createKafkaTopic,
  startKafka,
  stopKafka,
} from './support/kafka-broker.js';
import { Ledger } from './support/ledger.js';
import { publishConcurrently } from './support/publishers.js';
import { settle, sleep, until } from './support/timing.js';

const TYPE = 'chaos.restart.v1';
const TOTAL = 4000;

describeKafka('chaos 5: the Kafka broker stopped and started twice during produce', () => {
  it('handles every acknowledged send', async () => {
    const kafka: ChaosKafka = await chaosKafka();
    const topic = `chaos-restart-${Date.now()}`;
    await createKafkaTopic(kafka, topic, 2);
    const transport = chaosKafkaTransport(kafka);
    const bus = createBus({
      transport,
      source: 'chaos-restart',
      routes: { [TYPE]: topic },
      idempotency: memoryIdempotencyStore(),
      telemetry: false,
    });
    const ledger = new Ledger().watch(bus);
    const acknowledgedAtStop: number[] = [];
    const downMs: number[] = [];
    let brokerDown = false;
    try {
      await bus.subscribe(TYPE, (event) => void ledger.effect(event.id), {
        group: 'restart',
        concurrency: 8,
        idempotency: true,
      });
      const faults = (async () => {
        for (const share of [0.25, 0.6]) {
          await until(
            () => ledger.acknowledged.size >= TOTAL * share,
            120_000,
            `${share * 100} % acknowledged`,
          );
          acknowledgedAtStop.push(ledger.acknowledged.size);
          const stoppedAt = Date.now();
          brokerDown = true;
          await stopKafka(kafka);
          await sleep(1000);
          await startKafka(kafka);
          brokerDown = false;
          downMs.push(Date.now() - stoppedAt);
        }
      })();
      // Eight publishers, each pausing a little between sends, so producing spans both restarts.
      const producing = publishConcurrently(bus, ledger, TYPE, {
        total: TOTAL,
        publishers: 8,
        prefix: 'p',
        pauseMs: 5,
        retryDelayMs: 250,
      });
      await Promise.all([faults, producing]);
      await until(() => ledger.complete(), 120_000, 'every acknowledged send handled');
      await settle(() => ledger.handled + ledger.duplicates, 2000);
    } finally {
      // Never leave the shared broker of the run stopped.
      if (brokerDown) await startKafka(kafka).catch(() => undefined);
      await bus.close({ graceMs: 1000 });
    }

    ledger.report('5 Kafka broker stopped and started twice during produce', {
      'acknowledged-at-stops': acknowledgedAtStop.join('/'),
      'down-ms': downMs.join('/'),
      'rejected-send-calls': ledger.publishFailures,
    });
    expect(acknowledgedAtStop).toHaveLength(2);
    for (const at of acknowledgedAtStop) expect(at).toBeLessThan(TOTAL);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.acknowledged.size).toBe(TOTAL);
    expect(ledger.effects.size).toBe(TOTAL);
  }, 300_000);
});
