/**
 * The bus's metric instruments on one meter: the messaging conventions' counters and histograms, Switchboard's
 * failure-path counters, and observable gauges for consumer lag and circuit breaker state.
 *
 * @module
 */
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
  ObservableResult,
} from '@opentelemetry/api';
import { ATTR, DURATION_BUCKETS, METRIC } from './semconv.js';

/** What the observable gauges read when a reader collects. */
export interface GaugeSources {
  /** Messages waiting per `topic/group`, where the transport knows it. */
  lag(): Promise<Readonly<Record<string, number>> | undefined>;
  /** Circuit breaker states by name, as cockatiel's `CircuitState` numbers (0 closed, 1 open, 2 half-open, 3 isolated). */
  breakerStates(): Iterable<readonly [string, number]>;
}

/** Instruments of one bus on one meter. */
export class BusMetrics {
  readonly #system: string;
  readonly #sent: Counter;
  readonly #consumed: Counter;
  readonly #processDuration: Histogram;
  readonly #operationDuration: Histogram;
  readonly #retries: Counter;
  readonly #redeliveries: Counter;
  readonly #deadLettered: Counter;
  readonly #duplicates: Counter;
  readonly #lag: ObservableGauge;
  readonly #breakerState: ObservableGauge;
  readonly #observeLag: (result: ObservableResult) => Promise<void>;
  readonly #observeBreakers: (result: ObservableResult) => void;
  // Attribute sets are reused per topic, group and operation: most messages succeed, and the SDK keys its
  // aggregation by attribute content anyway.
  readonly #attributes = new Map<string, Attributes>();

  constructor(meter: Meter, system: string, sources: GaugeSources) {
    this.#system = system;
    this.#sent = meter.createCounter(METRIC.sent, {
      unit: '{message}',
      description: 'Messages a producer attempted to send.',
    });
    this.#consumed = meter.createCounter(METRIC.consumed, {
      unit: '{message}',
      description: 'Messages delivered to the application.',
    });
    const durations = { unit: 's', advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] } };
    this.#processDuration = meter.createHistogram(METRIC.processDuration, {
      ...durations,
      description: 'Duration of processing one message, from delivery to settlement.',
    });
    this.#operationDuration = meter.createHistogram(METRIC.operationDuration, {
      ...durations,
      description: 'Duration of a messaging operation initiated by the producer (send, request).',
    });
    this.#retries = meter.createCounter(METRIC.retries, {
      unit: '{attempt}',
      description: 'In-process handler retries.',
    });
    this.#redeliveries = meter.createCounter(METRIC.redeliveries, {
      unit: '{message}',
      description: 'Messages given back to the broker for redelivery.',
    });
    this.#deadLettered = meter.createCounter(METRIC.deadLettered, {
      unit: '{message}',
      description: 'Messages moved to a dead-letter topic.',
    });
    this.#duplicates = meter.createCounter(METRIC.duplicates, {
      unit: '{message}',
      description: 'Duplicate messages skipped by the idempotency store.',
    });
    this.#lag = meter.createObservableGauge(METRIC.lag, {
      unit: '{message}',
      description: 'Messages waiting for a consumer group, where the transport knows it.',
    });
    this.#breakerState = meter.createObservableGauge(METRIC.breakerState, {
      unit: '1',
      description: 'Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 isolated.',
    });
    this.#observeLag = async (result) => {
      const lag = await sources.lag().catch(() => undefined);
      if (lag === undefined) return;
      for (const [name, value] of Object.entries(lag)) {
        const cut = name.lastIndexOf('/');
        result.observe(value, {
          [ATTR.system]: system,
          [ATTR.destination]: cut < 0 ? name : name.slice(0, cut),
          ...(cut < 0 ? {} : { [ATTR.consumerGroup]: name.slice(cut + 1) }),
        });
      }
    };
    this.#observeBreakers = (result) => {
      for (const [name, state] of sources.breakerStates()) result.observe(state, { [ATTR.policy]: name });
    };
    this.#lag.addCallback(this.#observeLag);
    this.#breakerState.addCallback(this.#observeBreakers);
  }

  /** Counts `count` messages sent to `topic` (or attempted, with `errorType`) and the operation's duration. */
  sent(operation: string, topic: string, count: number, seconds: number, errorType?: string): void {
    const attributes = this.#base(operation, topic, undefined, errorType);
    this.#sent.add(count, attributes);
    this.#operationDuration.record(seconds, attributes);
  }

  /** Counts one message processed from `topic` by `group`, and how long it took. */
  processed(topic: string, group: string, seconds: number, errorType?: string): void {
    const attributes = this.#base('process', topic, group, errorType);
    this.#consumed.add(1, attributes);
    this.#processDuration.record(seconds, attributes);
  }

  /** Counts a message that reached the consumer but could not be decoded. */
  undecodable(topic: string, group: string, errorType: string): void {
    this.#consumed.add(1, this.#base('process', topic, group, errorType));
  }

  /** Counts an in-process handler retry. */
  retried(topic: string, group: string): void {
    this.#retries.add(1, this.#base('process', topic, group, undefined));
  }

  /** Counts a message given back for redelivery. */
  redelivered(topic: string, group: string): void {
    this.#redeliveries.add(1, this.#base('process', topic, group, undefined));
  }

  /** Counts a dead-lettered message. */
  deadLettered(topic: string, group: string, reason: string): void {
    this.#deadLettered.add(1, {
      ...this.#base('process', topic, group, undefined),
      [ATTR.deadLetterReason]: reason,
    });
  }

  /** Counts a duplicate skipped by the idempotency store. */
  duplicate(topic: string, group: string): void {
    this.#duplicates.add(1, this.#base('process', topic, group, undefined));
  }

  /** Detaches the observable callbacks (the bus closed, or the meter was replaced). */
  dispose(): void {
    this.#lag.removeCallback(this.#observeLag);
    this.#breakerState.removeCallback(this.#observeBreakers);
  }

  #base(
    operation: string,
    topic: string,
    group: string | undefined,
    errorType: string | undefined,
  ): Attributes {
    if (errorType !== undefined) {
      return {
        [ATTR.system]: this.#system,
        [ATTR.operationName]: operation,
        [ATTR.destination]: topic,
        ...(group === undefined ? {} : { [ATTR.consumerGroup]: group }),
        [ATTR.errorType]: errorType,
      };
    }
    const key = `${operation}\u0000${topic}\u0000${group ?? ''}`;
    let attributes = this.#attributes.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({
        [ATTR.system]: this.#system,
        [ATTR.operationName]: operation,
        [ATTR.destination]: topic,
        ...(group === undefined ? {} : { [ATTR.consumerGroup]: group }),
      });
      this.#attributes.set(key, attributes);
    }
    return attributes;
  }
}
