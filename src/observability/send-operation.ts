/**
 * The producer side of one publish, batch or request: its span (`send <topic>` PRODUCER, or `request <topic>`
 * CLIENT), the trace context it injects into the envelopes, and its metrics.
 *
 * @module
 */
import { type Attributes, context, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { Envelope } from '../envelope/types.js';
import type { PublishReceipt } from '../transport/types.js';
import type { BusMetrics } from './metrics.js';
import { injectTraceContext, type TraceCarrier } from './propagation.js';
import { errorType } from './redaction.js';
import { ATTR, OPERATION_TYPE } from './semconv.js';
import { failSpan } from './span-error.js';

/** Which producer operation: a publish (or batch), or a request waiting for its reply. */
export type SendKind = 'send' | 'request';

/** One producer operation in flight. Created by the bus's instrumentation only when someone listens. */
export class SendOperation {
  readonly #span: Span | undefined;
  readonly #metrics: BusMetrics | undefined;
  readonly #kind: SendKind;
  readonly #topic: string;
  readonly #count: number;
  readonly #start: number;
  readonly #kafka: boolean;

  constructor(
    tracer: Tracer | undefined,
    metrics: BusMetrics | undefined,
    system: string,
    kind: SendKind,
    topic: string,
    count: number,
  ) {
    this.#metrics = metrics;
    this.#kind = kind;
    this.#topic = topic;
    this.#count = count;
    this.#kafka = system === 'kafka';
    this.#start = metrics === undefined ? 0 : performance.now();
    if (tracer !== undefined) {
      const attributes: Attributes = {
        [ATTR.system]: system,
        [ATTR.operationName]: kind,
        [ATTR.operationType]: OPERATION_TYPE.send,
        [ATTR.destination]: topic,
      };
      // A batch is one span; a single publish names its message instead (once the envelope exists).
      if (count !== 1) attributes[ATTR.batchCount] = count;
      this.#span = tracer.startSpan(`${kind} ${topic}`, {
        kind: kind === 'send' ? SpanKind.PRODUCER : SpanKind.CLIENT,
        attributes,
      });
    }
  }

  /** Writes this operation's trace context into an envelope about to be built. */
  inject(carrier: TraceCarrier): void {
    if (this.#span !== undefined) injectTraceContext(trace.setSpan(context.active(), this.#span), carrier);
  }

  /** Records the envelope (single sends only: a batch span names no message). */
  envelope(envelope: Envelope): void {
    const span = this.#span;
    if (span === undefined || this.#count !== 1) return;
    span.setAttribute(ATTR.messageId, envelope.id);
    span.setAttribute(ATTR.messageType, envelope.type);
    if (envelope.correlationid !== undefined) span.setAttribute(ATTR.conversationId, envelope.correlationid);
  }

  /** Ends the operation successfully. */
  succeeded(receipt?: PublishReceipt): void {
    const span = this.#span;
    if (span !== undefined) {
      if (receipt?.partition !== undefined) span.setAttribute(ATTR.partition, String(receipt.partition));
      if (this.#kafka && receipt?.offset !== undefined && this.#count === 1) {
        const offset = Number(receipt.offset);
        if (Number.isSafeInteger(offset)) span.setAttribute(ATTR.kafkaOffset, offset);
      }
      span.end();
    }
    this.#metrics?.sent(this.#kind, this.#topic, this.#count, (performance.now() - this.#start) / 1000);
  }

  /** Ends the operation with a failure. */
  failed(error: unknown): void {
    const type = this.#span === undefined ? errorType(error) : failSpan(this.#span, error);
    this.#span?.end();
    this.#metrics?.sent(this.#kind, this.#topic, this.#count, (performance.now() - this.#start) / 1000, type);
  }

  /** Ends the operation when `promise` settles, and returns it. */
  track<T>(promise: Promise<T>): Promise<T> {
    return promise.then(
      (value) => {
        this.succeeded();
        return value;
      },
      (error: unknown) => {
        this.failed(error);
        throw error;
      },
    );
  }
}
