/**
 * The cost of the bus's OpenTelemetry instrumentation on the in-memory transport, publish to handler, in the same
 * process with alternating rounds:
 *
 * - instrumentation off (`telemetry: false`): the anchor;
 * - the OTel API only, no SDK registered (the default for a service that never sets up OpenTelemetry);
 * - the SDK with every span sampled and exported to a no-op exporter, plus an SDK meter provider;
 * - the SDK with a sampler that drops every span (metrics still recorded).
 *
 * End to end, runs on a shared 2-core machine vary by several percent from round to round, more than the effect
 * measured; so the bench also times what the API-only case adds per message in isolation (one publish check and
 * one consume check that find no tracer and no meter) and holds that against the anchor's time per message.
 *
 * Target: the API-only case costs < 5 % of a message's time. The SDK cases are measured and reported.
 */
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { EventEmitter } from 'eventemitter3';
import { type Bus, createBus } from '../src/bus/index.js';
import type { BusEventMap } from '../src/bus/types.js';
import { createEnvelope } from '../src/envelope/index.js';
import { BusInstrumentation } from '../src/observability/instrumentation.js';
import type { TelemetryOptions } from '../src/observability/options.js';
import { memoryTransport } from '../src/transport/memory/index.js';
import type { Delivery } from '../src/transport/types.js';
import {
  type BenchResult,
  formatOps,
  note,
  main as runMain,
  scenario,
  smoke,
  table,
  target,
  title,
} from './harness.js';

title('Telemetry overhead (bench/observability.bench.ts)');

const payload = { taskId: 't-123', userId: 'u-42', title: 'Water the plants', priority: 2, tags: ['home'] };
/** Messages per benchmark operation: published with all in flight, then awaited until handled. */
const BATCH = 200;

class DiscardingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class IdleReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

interface Case {
  readonly bus: Bus;
  run(): Promise<void>;
}

async function busCase(telemetry: TelemetryOptions | false | undefined): Promise<Case> {
  const bus = createBus({
    transport: memoryTransport({ partitions: 4 }),
    source: 'bench',
    ...(telemetry === undefined ? {} : { telemetry }),
  });
  let seen = 0;
  let target = 0;
  let wake: (() => void) | undefined;
  await bus.subscribe(
    'task.created.v1',
    () => {
      seen++;
      if (seen >= target && wake !== undefined) {
        const w = wake;
        wake = undefined;
        w();
      }
    },
    { concurrency: 64, ordered: false },
  );
  return {
    bus,
    async run() {
      target = seen + BATCH;
      const handled = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const published: Promise<unknown>[] = new Array(BATCH);
      for (let i = 0; i < BATCH; i++) published[i] = bus.publish('task.created.v1', payload);
      await Promise.all(published);
      if (seen < target) await handled;
      else wake = undefined;
    },
  };
}

async function main(): Promise<void> {
  // What an SDK set-up registers globally; the API-only case never reaches either (no tracer, no work).
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const exporter = new DiscardingExporter();
  const sampled = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 65_536, scheduledDelayMillis: 200 })],
  });
  const unsampled = new TracerProvider({ sampler: new AlwaysOffSampler() });
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });

  const off = await busCase(false);
  // The same configuration again: how far two identical buses differ is the noise floor of this run.
  const offAgain = await busCase(false);
  const apiOnly = await busCase(undefined);
  const sdk = await busCase({ tracerProvider: sampled, meterProvider });
  const sdkUnsampled = await busCase({ tracerProvider: unsampled, meterProvider });
  const rounds = smoke ? {} : { rounds: 9, roundMs: 400 };

  // The SDK cases make garbage and export on a timer; measured on their own so they do not slow the others.
  const [anchor, twin, api] = (await scenario(
    `bus publish -> handler on the in-memory transport, ${BATCH} messages per op: no SDK`,
    [
      { name: 'telemetry off', fn: () => off.run(), anchor: true },
      { name: 'telemetry off, second bus (noise floor)', fn: () => offAgain.run() },
      { name: 'OTel API only, no SDK (default)', fn: () => apiOnly.run() },
    ],
    rounds,
  )) as [BenchResult, BenchResult, BenchResult];
  const [sdkAnchor, full, dropped] = (await scenario(
    `bus publish -> handler on the in-memory transport, ${BATCH} messages per op: with the SDK`,
    [
      { name: 'telemetry off', fn: () => off.run(), anchor: true },
      { name: 'SDK, all spans sampled, no-op exporter, metrics', fn: () => sdk.run() },
      { name: 'SDK, sampler drops all spans, metrics', fn: () => sdkUnsampled.run() },
    ],
    rounds,
  )) as [BenchResult, BenchResult, BenchResult];
  const rows: string[][] = [];
  for (const [r, base] of [
    [anchor, anchor],
    [twin, anchor],
    [api, anchor],
    [full, sdkAnchor],
    [dropped, sdkAnchor],
  ] as const) {
    const perMessageNs = (r.nsPerOp - base.nsPerOp) / BATCH;
    rows.push([r.name, formatOps(r.opsPerSec * BATCH), `${perMessageNs.toFixed(0)} ns`]);
  }
  table({
    title: 'telemetry cost per message',
    anchors: ['telemetry off'],
    columns: ['case', 'messages/s', 'overhead per message'],
    rows,
  });
  note(
    `OTel API only, end to end: ${((1 - api.ratioToAnchor) * 100).toFixed(1)} % slower ` +
      `(two identical buses differ by ${(Math.abs(1 - twin.ratioToAnchor) * 100).toFixed(1)} %)`,
  );
  note(
    `SDK with every span exported: ${((1 - full.ratioToAnchor) * 100).toFixed(1)} % slower (3 spans per message: send, process, ack); ` +
      `spans exported: ${exporter.exported}`,
  );
  note(`SDK with spans sampled out: ${((1 - dropped.ratioToAnchor) * 100).toFixed(1)} % slower`);

  // What the API-only case adds per message, in isolation: the checks that find nothing listening.
  const instrumentation = new BusInstrumentation(
    {
      system: 'memory',
      events: new EventEmitter<BusEventMap>(),
      lag: async () => undefined,
      breakers: () => [],
    },
    {},
  );
  const envelope = createEnvelope({ type: 'task.created.v1', source: 'bench', data: payload });
  const delivery = { attempt: 1, coordinates: {} } as unknown as Delivery;
  const CHECKS = 1000;
  const [gate, empty] = (await scenario(`the API-only checks of one message, ${CHECKS} per op`, [
    {
      name: 'send + process checks (no SDK)',
      fn: () => {
        let misses = 0;
        for (let i = 0; i < CHECKS; i++) {
          if (instrumentation.send('task-events', 1) === undefined) misses++;
          if (instrumentation.process('task-events', 'g', delivery, envelope) === undefined) misses++;
        }
        return misses;
      },
    },
    {
      name: 'empty loop',
      anchor: true,
      fn: () => {
        let misses = 0;
        for (let i = 0; i < CHECKS; i++) if (envelope.id !== '') misses += 2;
        return misses;
      },
    },
  ])) as [BenchResult, BenchResult];
  instrumentation.close();
  const gateNs = (gate.nsPerOp - empty.nsPerOp) / CHECKS;
  const messageNs = anchor.nsPerOp / BATCH;
  target(
    'OTel API without an SDK costs < 5 % of a message (isolated checks against the anchor)',
    gateNs / messageNs < 0.05,
    `${gateNs.toFixed(1)} ns of ${messageNs.toFixed(0)} ns per message = ${((gateNs / messageNs) * 100).toFixed(2)} %`,
  );

  await Promise.all([off, offAgain, apiOnly, sdk, sdkUnsampled].map((c) => c.bus.close({ graceMs: 0 })));
  await sampled.shutdown();
  await unsampled.shutdown();
  await meterProvider.shutdown();
  context.disable();
  propagation.disable();
}

await runMain(main);
