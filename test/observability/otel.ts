/**
 * OpenTelemetry SDK fixtures for the telemetry tests: an in-memory span exporter, a metric reader that collects
 * on demand, the async-hooks context manager and the W3C propagators registered globally (the library uses the
 * global context and propagation APIs, as users' SDKs configure them).
 */
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Registers the context manager and W3C propagators once per test file. */
export function registerGlobals(): void {
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}

/** Undoes {@link registerGlobals}. */
export function unregisterGlobals(): void {
  context.disable();
  propagation.disable();
}

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A tracer provider and meter provider whose output the test can read. */
export interface Otel {
  readonly tracerProvider: TracerProvider;
  readonly meterProvider: MeterProvider;
  readonly exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
  /** Resolves once `count` spans named `name` have ended. */
  waitFor(name: string, count?: number): Promise<void>;
  /** Every data point of a metric, with its attributes. */
  points(name: string): Promise<DataPoint<unknown>[]>;
  /** The sum of a counter's points whose attributes include `match`. */
  sum(name: string, match?: Record<string, unknown>): Promise<number>;
  /** The number of recordings of a histogram whose attributes include `match`. */
  count(name: string, match?: Record<string, unknown>): Promise<number>;
  shutdown(): Promise<void>;
}

function matches(attributes: Record<string, unknown>, match: Record<string, unknown>): boolean {
  return Object.entries(match).every(([k, v]) => attributes[k] === v);
}

/** Creates fresh providers with in-memory exporters. */
export function createOtel(): Otel {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const points = async (name: string): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
  };
  return {
    tracerProvider,
    meterProvider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span '${name}', found ${found.length}`);
      return found[0]!;
    },
    waitFor: (name, count = 1) =>
      until(
        () => exporter.getFinishedSpans().filter((s) => s.name === name).length >= count,
        5000,
        `${count} '${name}' span(s)`,
      ),
    points,
    async sum(name, match = {}) {
      return (await points(name))
        .filter((p) => matches(p.attributes, match))
        .reduce((total, p) => total + (p.value as number), 0);
    },
    async count(name, match = {}) {
      return (await points(name))
        .filter((p) => matches(p.attributes, match))
        .reduce((total, p) => total + (p.value as { count: number }).count, 0);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** Resolves when `check()` holds, polling every 5 ms. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
