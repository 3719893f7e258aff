/**
 * Chaos scenario 8: a publisher ten times faster than its consumer. On every transport the consumer's memory
 * stays bounded and its in-flight handlers never exceed its concurrency: the in-memory transport holds the
 * publisher back (back-pressure), NATS JetStream and Kafka keep the backlog at the broker while the client holds
 * only what its concurrency and fetch window allow.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from '../../src/bus/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import type { Transport } from '../../src/transport/types.js';
import { describeKafka, describeServers, runDir } from './support/env.js';
import { MemorySampler, mib } from './support/heap.js';
import { chaosKafka, chaosKafkaTransport, createKafkaTopic } from './support/kafka-broker.js';
import { Ledger } from './support/ledger.js';
import { type ChaosNats, chaosNats, chaosNatsTransport } from './support/nats-server.js';
import { spawnFixture } from './support/processes.js';
import { sleep, until } from './support/timing.js';

const publisherFixture = fileURLToPath(new URL('./fixtures/burst-publisher.ts', import.meta.url));
const TYPE = 'chaos.slow.v1';
const TOTAL = 2400;
const BODY_BYTES = 16 * 1024;
const CONCURRENCY = 4;
const HANDLER_MS = 10;
// The consumer manages CONCURRENCY / HANDLER_MS = 400 messages a second; the publisher aims at 4000: bursts of
// 20 every 5 ms, each burst awaited.
const BURST = 20;
const BURST_EVERY_MS = 5;

interface SlowResult {
  readonly ledger: Ledger;
  readonly maxInFlight: number;
  readonly maxLag: number;
  readonly memoryGrowth: number;
  readonly publishMs: number;
  readonly consumeMs: number;
  readonly handledWhenPublished: number;
}

/** Publishes the scenario's messages, recording them in the ledger; resolves with the publishing time in ms. */
type Publisher = (bus: Bus, ledger: Ledger) => Promise<number>;

/** The publisher in this process (the in-memory transport has no other). */
function inProcessPublisher(): Publisher {
  return async (bus, ledger) => {
    const pad = 'x'.repeat(BODY_BYTES);
    const started = Date.now();
    for (let i = 0; i < TOTAL; i += BURST) {
      const burstStarted = Date.now();
      await Promise.all(
        Array.from({ length: Math.min(BURST, TOTAL - i) }, async (_, j) => {
          const id = `s-${i + j}`;
          ledger.attempt(id);
          await bus.publish(TYPE, { pad }, { id });
          ledger.acknowledge(id);
        }),
      );
      const rest = BURST_EVERY_MS - (Date.now() - burstStarted);
      if (rest > 0) await sleep(rest);
    }
    return Date.now() - started;
  };
}

/**
 * A publisher service in a child process, so this process's memory is the consumer's alone. It reports each
 * acknowledged id in a file.
 */
function childPublisher(system: 'nats' | 'kafka', url: string, topic: string): Publisher {
  return async (_bus, ledger) => {
    const ackFile = join(runDir, `acks-${topic}.txt`);
    writeFileSync(ackFile, '');
    for (let i = 0; i < TOTAL; i++) ledger.attempt(`s-${i}`);
    const child = spawnFixture(runDir, publisherFixture, {
      TRANSPORT: system,
      URL: url,
      TOPIC: topic,
      TYPE,
      TOTAL: String(TOTAL),
      BODY_BYTES: String(BODY_BYTES),
      BURST: String(BURST),
      BURST_EVERY_MS: String(BURST_EVERY_MS),
      ACK_FILE: ackFile,
    });
    try {
      const exit = await child.exited;
      expect(exit, child.stderr).toEqual({ code: 0, signal: null });
    } finally {
      await child.kill();
      for (const id of readFileSync(ackFile, 'utf8').split('\n')) if (id !== '') ledger.acknowledge(id);
    }
    const times = JSON.parse(readFileSync(`${ackFile}.times`, 'utf8')) as {
      startedMs: number;
      endedMs: number;
    };
    return times.endedMs - times.startedMs;
  };
}

async function slowConsumer(transport: Transport, topic: string, publish: Publisher): Promise<SlowResult> {
  const bus = createBus({
    transport,
    source: 'chaos-slow',
    routes: { [TYPE]: topic },
    // Real bytes on every transport, so the in-memory broker holds bodies as a remote one would.
    serialization: 'always',
    telemetry: false,
  });
  const ledger = new Ledger().watch(bus);
  let inFlight = 0;
  let maxInFlight = 0;
  let maxLag = 0;
  let firstHandlerAt: number | undefined;
  let sampler: MemorySampler | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  try {
    await bus.subscribe(
      TYPE,
      async (event) => {
        firstHandlerAt ??= Date.now();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(HANDLER_MS);
        ledger.effect(event.id);
        inFlight--;
      },
      { group: 'slow', concurrency: CONCURRENCY, ordered: false },
    );
    sampler = new MemorySampler(200);
    let sampling = false;
    lagTimer = setInterval(() => {
      if (sampling) return;
      sampling = true;
      void transport
        .health()
        .then((health) => {
          const lag = Object.values(health.lag ?? {}).reduce((sum, n) => sum + n, 0);
          maxLag = Math.max(maxLag, lag);
        })
        .finally(() => {
          sampling = false;
        });
    }, 200);
    const publishMs = await publish(bus, ledger);
    const handledWhenPublished = ledger.effects.size;
    await until(() => ledger.complete(), 90_000, 'the consumer to catch up');
    const consumeMs = Date.now() - (firstHandlerAt ?? Date.now());
    sampler.stop();
    return {
      ledger,
      maxInFlight,
      maxLag,
      memoryGrowth: sampler.growth,
      publishMs,
      consumeMs,
      handledWhenPublished,
    };
  } finally {
    sampler?.stop();
    clearInterval(lagTimer);
    await bus.close({ graceMs: 1000 });
  }
}

function report(label: string, r: SlowResult): void {
  const publishRate = Math.round((TOTAL / r.publishMs) * 1000);
  const consumeRate = Math.round((TOTAL / r.consumeMs) * 1000);
  r.ledger.report(`8 publisher 10x faster than consumer (${label})`, {
    'payload-MiB': mib(TOTAL * BODY_BYTES),
    'peak-memory-growth-MiB': mib(r.memoryGrowth),
    'max-in-flight': r.maxInFlight,
    'max-lag': r.maxLag,
    'publish-per-s': publishRate,
    'consume-per-s': consumeRate,
    'handled-when-publishing-ended': r.handledWhenPublished,
  });
}

/**
 * The publisher ran well ahead of the consumer (4000/s aimed at, 400/s at most consumed; on a loaded 2-core
 * machine a Kafka producer reaches less, so the check asks for twice the consumer's rate).
 */
function expectOutrun(r: SlowResult): void {
  expect(r.handledWhenPublished).toBeLessThan(TOTAL / 2);
  expect(TOTAL / r.publishMs).toBeGreaterThan((2 * TOTAL) / r.consumeMs);
}

/** What every transport must show. */
function expectBounded(r: SlowResult): void {
  expect(r.ledger.lost()).toEqual([]);
  expect(r.ledger.repeated()).toEqual([]);
  expect(r.ledger.effects.size).toBe(TOTAL);
  expect(r.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
  expect(r.maxInFlight).toBe(CONCURRENCY);
  // Holding the backlog in this process would cost up to the full payload (37.5 MiB); a third is the ceiling.
  expect(r.memoryGrowth).toBeLessThan((TOTAL * BODY_BYTES) / 3);
}

describe('chaos 8: a publisher ten times faster than its consumer (memory)', () => {
  it('holds the publisher back and keeps memory and in-flight bounded', async () => {
    const partitions = 2;
    const maxBacklog = 100;
    const transport = memoryTransport({ partitions, maxBacklog, retention: { maxMessages: 50 } });
    const r = await slowConsumer(transport, 'chaos-slow-memory', inProcessPublisher());
    report('memory', r);
    expectBounded(r);
    // Back-pressure: the broker never held more than its backlog bound per partition, so the publisher had to
    // wait for the consumer and finished close to it instead of ten times earlier.
    expect(r.maxLag).toBeLessThanOrEqual(partitions * maxBacklog);
    expect(r.publishMs).toBeGreaterThan(r.consumeMs / 2);
  }, 90_000);
});

describeServers('chaos 8: a publisher ten times faster than its consumer (NATS JetStream)', () => {
  let nats: ChaosNats;
  beforeAll(async () => {
    nats = await chaosNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('keeps the backlog at the broker and memory and in-flight bounded', async () => {
    const transport = chaosNatsTransport(nats.url);
    const topic = 'chaos-slow-nats';
    // The stream exists before the publisher starts, so no message lands before the consumer's group does.
    const r = await slowConsumer(transport, topic, childPublisher('nats', nats.url, topic));
    report('NATS JetStream', r);
    expectBounded(r);
    // The publisher really outran the consumer: most of the stream was still waiting when publishing ended.
    expectOutrun(r);
    expect(r.maxLag).toBeGreaterThan(TOTAL / 4);
  }, 120_000);
});

describeKafka('chaos 8: a publisher ten times faster than its consumer (Kafka)', () => {
  it('keeps the backlog at the broker and memory and in-flight bounded', async () => {
    const kafka = await chaosKafka();
    const topic = `chaos-slow-kafka-${Date.now()}`;
    await createKafkaTopic(kafka, topic, 2);
    // The client's read-ahead is bounded by these two settings; the rest of the backlog stays at the broker.
    const transport = chaosKafkaTransport(kafka, {
      maxBufferedMessages: 100,
      consumer: { maxBytes: 1024 * 1024 },
    });
    const r = await slowConsumer(transport, topic, childPublisher('kafka', kafka.bootstrap, topic));
    report('Kafka', r);
    expectBounded(r);
    expectOutrun(r);
    expect(r.maxLag).toBeGreaterThan(TOTAL / 4);
  }, 300_000);
});
