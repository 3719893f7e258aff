/**
 * A delivery whose `ack` and `nack` run inside settle spans (`ack <topic>` / `nack <topic>`, CLIENT, children of
 * the `process` span). Used only while tracing is on; everything else is passed through.
 *
 * @module
 */
import { type Attributes, type Context, type Span, SpanKind, type Tracer } from '@opentelemetry/api';
import type { WireMessage } from '../envelope/types.js';
import type { Delivery, DeliveryCoordinates, NackOptions } from '../transport/types.js';
import { ATTR, OPERATION_TYPE } from './semconv.js';
import { failSpan } from './span-error.js';

/** Wraps a delivery so its settlement is traced. */
export class TracedDelivery implements Delivery {
  readonly #inner: Delivery;
  readonly #tracer: Tracer;
  readonly #parent: Context;
  readonly #attributes: Attributes;

  constructor(inner: Delivery, tracer: Tracer, parent: Context, attributes: Attributes) {
    this.#inner = inner;
    this.#tracer = tracer;
    this.#parent = parent;
    this.#attributes = attributes;
  }

  get topic(): string {
    return this.#inner.topic;
  }
  get message(): WireMessage {
    return this.#inner.message;
  }
  get attempt(): number {
    return this.#inner.attempt;
  }
  get coordinates(): DeliveryCoordinates {
    return this.#inner.coordinates;
  }
  get signal(): AbortSignal {
    return this.#inner.signal;
  }
  get settled(): boolean {
    return this.#inner.settled;
  }

  ack(): Promise<void> {
    const span = this.#start('ack');
    return this.#end(span, this.#inner.ack());
  }

  nack(options?: NackOptions): Promise<void> {
    const span = this.#start('nack');
    if (options?.delayMs !== undefined) span.setAttribute('switchboard.nack.delay_ms', options.delayMs);
    return this.#end(span, this.#inner.nack(options));
  }

  working(): Promise<void> {
    return this.#inner.working();
  }

  #start(operation: 'ack' | 'nack'): Span {
    return this.#tracer.startSpan(
      `${operation} ${this.#inner.topic}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...this.#attributes,
          [ATTR.operationName]: operation,
          [ATTR.operationType]: OPERATION_TYPE.settle,
        },
      },
      this.#parent,
    );
  }

  #end(span: Span, promise: Promise<void>): Promise<void> {
    return promise.then(
      () => span.end(),
      (error: unknown) => {
        failSpan(span, error);
        span.end();
        throw error;
      },
    );
  }
}
