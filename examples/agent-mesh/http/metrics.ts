/**
 * The mesh's `/metrics` in the Prometheus text format: seed 004's message metrics (messages produced and
 * consumed, message size distribution, end-to-end latency, consumer lag, error rates by message type) and the
 * sagas' outcomes, fed by the bus's and the orchestrators' events.
 *
 * @module
 */
import type { Bus } from '../../../src/index.js';
import type { SagaOrchestrator } from '../../../src/saga/index.js';

type Labels = Readonly<Record<string, string>>;

const key = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map(
      (name) =>
        `${name}="${labels[name]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');

/** A counter by label set. */
class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [labels, value] of this.values) lines.push(`${this.name}{${labels}} ${value}`);
    return lines;
  }
}

/** A histogram by label set. */
class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (s === undefined) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    this.buckets.forEach((bound, i) => {
      if (value <= bound) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [labels, s] of this.series) {
      const prefix = labels === '' ? '' : `${labels},`;
      for (const [i, bound] of this.buckets.entries())
        lines.push(`${this.name}_bucket{${prefix}le="${bound}"} ${s.counts[i]}`);
      lines.push(`${this.name}_bucket{${prefix}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum{${labels}} ${s.sum}`, `${this.name}_count{${labels}} ${s.count}`);
    }
    return lines;
  }
}

/**
 * The metrics of one mesh process.
 *
 * @example
 * ```ts
 * const metrics = new MeshMetrics();
 * metrics.watchBus(bus);
 * metrics.watchSaga(spawning);
 * response.end(await metrics.render(bus));
 * ```
 */
export class MeshMetrics {
  readonly produced = new Counter('messages_produced_total', 'Messages published, by topic and type');
  readonly consumed = new Counter('messages_consumed_total', 'Messages handled, by topic, type and group');
  readonly errors = new Counter('message_errors_total', 'Handler failures, by message type');
  readonly deadLettered = new Counter('messages_dead_lettered_total', 'Dead letters, by topic and reason');
  readonly sagas = new Counter('saga_runs_total', 'Saga runs, by saga and outcome');
  readonly sagaStepFailures = new Counter(
    'saga_step_failures_total',
    'Failed saga steps, by saga, step and cause',
  );
  readonly http = new Counter('http_requests_total', 'HTTP requests, by method, route and status');
  readonly size = new Histogram(
    'message_payload_bytes',
    'Payload size of published messages (as JSON), by type',
    [64, 256, 1024, 4096, 16_384, 65_536],
  );
  readonly latency = new Histogram(
    'end_to_end_latency_seconds',
    'From publish (envelope time) to handled, by topic',
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  );

  /** Counts what a bus publishes, handles, fails and dead-letters. */
  watchBus(bus: Bus): void {
    bus.events.on('published', ({ envelope, topic }) => {
      this.produced.inc({ topic, type: envelope.type });
      this.size.observe({ type: envelope.type }, Buffer.byteLength(JSON.stringify(envelope.data) ?? ''));
    });
    bus.events.on('handled', ({ envelope, topic, group }) => {
      this.consumed.inc({ topic, type: envelope.type, group });
      const sent = Date.parse(envelope.time);
      if (Number.isFinite(sent)) this.latency.observe({ topic }, Math.max(0, Date.now() - sent) / 1000);
    });
    bus.events.on('failed', ({ envelope }) => this.errors.inc({ type: envelope?.type ?? 'undecodable' }));
    bus.events.on('dead-lettered', ({ topic, reason }) => this.deadLettered.inc({ topic, reason }));
  }

  /** Counts a saga's outcomes and failed steps. */
  watchSaga(saga: SagaOrchestrator<never>): void {
    for (const status of ['completed', 'compensated', 'failed'] as const)
      saga.events.on(status, () => this.sagas.inc({ saga: saga.name, status }));
    saga.events.on('step.failed', ({ step, timedOut }) =>
      this.sagaStepFailures.inc({ saga: saga.name, step, cause: timedOut ? 'timeout' : 'error' }),
    );
  }

  /** The text of a scrape; consumer lag is read from the bus's health when asked. */
  async render(bus: Bus): Promise<string> {
    const lines: string[] = [];
    for (const metric of [
      this.produced,
      this.consumed,
      this.errors,
      this.deadLettered,
      this.size,
      this.latency,
    ])
      lines.push(...metric.render());
    lines.push('# HELP consumer_lag Messages not yet consumed, by consumer', '# TYPE consumer_lag gauge');
    try {
      const lag = (await bus.transport.health()).lag ?? {};
      for (const [name, value] of Object.entries(lag))
        lines.push(`consumer_lag{${key({ consumer: name })}} ${value}`);
    } catch {
      // an unreachable broker shows in /health; the scrape still answers
    }
    for (const metric of [this.sagas, this.sagaStepFailures, this.http]) lines.push(...metric.render());
    return `${lines.join('\n')}\n`;
  }
}
