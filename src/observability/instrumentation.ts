/**
 * The bus's OpenTelemetry instrumentation: the one object the bus and its consumers ask for an operation to
 * record. Each method returns `undefined` when neither a tracer nor a meter is listening, so an uninstrumented
 * service pays two global look-ups per message and allocates nothing.
 *
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import type { BusEventMap } from '../bus/types.js';
import type { Envelope } from '../envelope/types.js';
import { type CircuitStateName, type ResilienceEventMap, resilienceEvents } from '../resilience/events.js';
import type { Delivery } from '../transport/types.js';
import type { BreakerLike } from './health.js';
import { BusMetrics } from './metrics.js';
import type { PropagationMode, TelemetryOptions } from './options.js';
import { ProcessOperation } from './process-operation.js';
import { MeterSource, TracerSource } from './providers.js';
import { errorType } from './redaction.js';
import { SendOperation } from './send-operation.js';
import { ServerOperation } from './server-operation.js';

/** What the instrumentation needs from the bus. */
export interface InstrumentedBus {
  /** `messaging.system`. */
  readonly system: string;
  /** The bus's lifecycle events (retries, redeliveries, dead letters and duplicates are counted from them). */
  readonly events: EventEmitter<BusEventMap>;
  /** Consumer lag per `topic/group`, where the transport knows it. */
  lag(): Promise<Readonly<Record<string, number>> | undefined>;
  /** Breakers registered with the bus, by name. */
  breakers(): Iterable<readonly [string, BreakerLike]>;
}

const STATE_NUMBER: Readonly<Record<CircuitStateName, number>> = {
  closed: 0,
  open: 1,
  'half-open': 2,
  isolated: 3,
};

/** The instrumentation of one bus. */
export class BusInstrumentation {
  readonly #bus: InstrumentedBus;
  readonly #mode: PropagationMode;
  readonly #tracers: TracerSource;
  readonly #meters: MeterSource;
  #metrics: BusMetrics | undefined;
  // Last state of every breaker seen through resilience events, for the state gauge.
  readonly #breakerStates = new Map<string, number>();
  readonly #detach: (() => void)[] = [];

  constructor(bus: InstrumentedBus, options: TelemetryOptions = {}) {
    this.#bus = bus;
    this.#mode = options.propagation ?? 'parent';
    this.#tracers = new TracerSource(options.tracerProvider);
    this.#meters = new MeterSource(options.meterProvider, (meter) => {
      this.#metrics?.dispose();
      this.#metrics =
        meter === undefined
          ? undefined
          : new BusMetrics(meter, bus.system, {
              lag: () => bus.lag(),
              breakerStates: () => this.#breakerStatesNow(),
            });
    });
    this.#listen(bus.events, 'retry', (e) => this.#counted()?.retried(e.topic, e.group));
    this.#listen(bus.events, 'redelivery', (e) => this.#counted()?.redelivered(e.topic, e.group));
    this.#listen(bus.events, 'dead-lettered', (e) =>
      this.#counted()?.deadLettered(e.topic, e.group, e.reason),
    );
    this.#listen(bus.events, 'duplicate', (e) => this.#counted()?.duplicate(e.topic, e.group));
    const resilience = options.resilienceEvents === undefined ? resilienceEvents() : options.resilienceEvents;
    if (resilience !== false) {
      const onState = ({ policy, to }: ResilienceEventMap['statechange'][0]): void => {
        this.#breakerStates.set(policy, STATE_NUMBER[to]);
      };
      resilience.on('statechange', onState);
      this.#detach.push(() => resilience.off('statechange', onState));
    }
    // Resolve the meter now, so the gauges exist before the first message.
    this.#meters.current();
  }

  /** A publish of `count` messages to `topic` (a batch when `count` > 1). */
  send(topic: string, count: number): SendOperation | undefined {
    const tracer = this.#tracers.current();
    const metrics = this.#counted();
    if (tracer === undefined && metrics === undefined) return undefined;
    return new SendOperation(tracer, metrics, this.#bus.system, 'send', topic, count);
  }

  /** A request to `topic`, until its reply or failure. */
  request(topic: string): SendOperation | undefined {
    const tracer = this.#tracers.current();
    const metrics = this.#counted();
    if (tracer === undefined && metrics === undefined) return undefined;
    return new SendOperation(tracer, metrics, this.#bus.system, 'request', topic, 1);
  }

  /** One delivered message on its way through the consumer pipeline. */
  process(
    topic: string,
    group: string,
    delivery: Delivery,
    envelope: Envelope,
  ): ProcessOperation | undefined {
    const tracer = this.#tracers.current();
    const metrics = this.#counted();
    if (tracer === undefined && metrics === undefined) return undefined;
    return new ProcessOperation(
      tracer,
      metrics,
      this.#mode,
      this.#bus.system,
      topic,
      group,
      delivery,
      envelope,
    );
  }

  /** One request being answered (traced only). */
  respond(topic: string, group: string, request: Envelope): ServerOperation | undefined {
    const tracer = this.#tracers.current();
    return tracer === undefined
      ? undefined
      : new ServerOperation(tracer, this.#bus.system, topic, group, request);
  }

  /** A delivery that could not be decoded: counted as consumed, with its error type. */
  undecodable(topic: string, group: string, error: unknown): void {
    this.#counted()?.undecodable(topic, group, errorType(error));
  }

  /** Detaches every listener and gauge callback. Idempotent. */
  close(): void {
    for (const detach of this.#detach.splice(0)) detach();
    this.#metrics?.dispose();
    this.#metrics = undefined;
  }

  #counted(): BusMetrics | undefined {
    this.#meters.current();
    return this.#metrics;
  }

  *#breakerStatesNow(): Iterable<readonly [string, number]> {
    const live = new Map(this.#breakerStates);
    for (const [name, breaker] of this.#bus.breakers()) live.set(name, breaker.state);
    yield* live;
  }

  #listen<K extends keyof BusEventMap>(
    events: EventEmitter<BusEventMap>,
    event: K,
    listener: (...args: BusEventMap[K]) => void,
  ): void {
    // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's typed overloads do not accept a generic key
    (events as EventEmitter<any>).on(event, listener);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    this.#detach.push(() => (events as EventEmitter<any>).off(event, listener));
  }
}
