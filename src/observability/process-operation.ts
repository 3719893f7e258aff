/**
 * The consumer side of one message: its `process <topic>` CONSUMER span (continuing or linking the producer's
 * trace), the context the handler runs in, the settle spans, and the processing metrics.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Envelope } from '../envelope/types.js';
import type { Delivery } from '../transport/types.js';
import type { BusMetrics } from './metrics.js';
import type { PropagationMode } from './options.js';
import { extractTraceContext } from './propagation.js';
import { errorType } from './redaction.js';
import { ATTR, OPERATION_TYPE } from './semconv.js';
import { failSpan } from './span-error.js';
import { TracedDelivery } from './traced-delivery.js';

/** The attributes every span about one delivered message carries (never its data or key). */
export function deliveryAttributes(
  system: string,
  topic: string,
  group: string,
  delivery: Delivery,
  envelope: Envelope,
): Attributes {
  const attributes: Attributes = {
    [ATTR.system]: system,
    [ATTR.destination]: topic,
    [ATTR.consumerGroup]: group,
    [ATTR.messageId]: envelope.id,
    [ATTR.messageType]: envelope.type,
    [ATTR.attempt]: delivery.attempt,
  };
  if (envelope.correlationid !== undefined) attributes[ATTR.conversationId] = envelope.correlationid;
  const { partition, offset } = delivery.coordinates;
  if (partition !== undefined) attributes[ATTR.partition] = String(partition);
  if (system === 'kafka' && offset !== undefined) {
    const value = Number(offset);
    if (Number.isSafeInteger(value)) attributes[ATTR.kafkaOffset] = value;
  }
  return attributes;
}

/** One message being processed. Created by the bus's instrumentation only when someone listens. */
export class ProcessOperation {
  readonly #tracer: Tracer | undefined;
  readonly #metrics: BusMetrics | undefined;
  readonly #topic: string;
  readonly #group: string;
  readonly #start: number;
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  readonly #attributes: Attributes | undefined;
  #errorType: string | undefined;

  constructor(
    tracer: Tracer | undefined,
    metrics: BusMetrics | undefined,
    mode: PropagationMode,
    system: string,
    topic: string,
    group: string,
    delivery: Delivery,
    envelope: Envelope,
  ) {
    this.#tracer = tracer;
    this.#metrics = metrics;
    this.#topic = topic;
    this.#group = group;
    this.#start = metrics === undefined ? 0 : performance.now();
    if (tracer === undefined) return;
    const attributes = deliveryAttributes(system, topic, group, delivery, envelope);
    this.#attributes = attributes;
    // A consumer never inherits whatever context happened to be active where the transport called it (the
    // in-memory transport delivers inside the publisher's call): its parent is the message's context or none.
    const producer = extractTraceContext(envelope, ROOT_CONTEXT);
    const options = {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...attributes,
        [ATTR.operationName]: 'process',
        [ATTR.operationType]: OPERATION_TYPE.process,
      },
    };
    let span: Span;
    if (mode === 'parent') span = tracer.startSpan(`process ${topic}`, options, producer);
    else {
      const linked = trace.getSpanContext(producer);
      span = tracer.startSpan(
        `process ${topic}`,
        linked === undefined ? options : { ...options, links: [{ context: linked }] },
        ROOT_CONTEXT,
      );
    }
    this.#span = span;
    this.#context = trace.setSpan(ROOT_CONTEXT, span);
  }

  /** Records that the handler (or the pipeline) failed with `error`. */
  fail(error: unknown): void {
    this.#errorType = this.#span === undefined ? errorType(error) : failSpan(this.#span, error);
  }

  /**
   * Runs the rest of the pipeline for `delivery` inside the process span's context (so the handler's own spans
   * and publishes nest under it), then ends the span and records the metrics.
   */
  run(delivery: Delivery, pipeline: (delivery: Delivery) => Promise<void>): Promise<void> {
    let running: Promise<void>;
    if (this.#span === undefined || this.#tracer === undefined) running = pipeline(delivery);
    else {
      // A sampled-out span still gives the handler its context (so what it publishes keeps the sampling
      // decision), but settle spans under it would be dropped anyway: skip them.
      const settled = this.#span.isRecording()
        ? new TracedDelivery(delivery, this.#tracer, this.#context!, this.#attributes!)
        : delivery;
      running = context.with(this.#context!, pipeline, undefined, settled);
    }
    return running.then(
      () => this.#end(),
      (error: unknown) => {
        this.fail(error);
        this.#end();
        throw error;
      },
    );
  }

  #end(): void {
    this.#span?.end();
    this.#metrics?.processed(
      this.#topic,
      this.#group,
      (performance.now() - this.#start) / 1000,
      this.#errorType,
    );
  }
}
