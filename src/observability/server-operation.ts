/**
 * The responder side of request/reply: a `respond <topic>` SERVER span, always a child of the requester's
 * `request` span (whatever the propagation mode, a request and its answer belong to one trace).
 *
 * @module
 */
import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Envelope } from '../envelope/types.js';
import { extractTraceContext } from './propagation.js';
import { ATTR, OPERATION_TYPE } from './semconv.js';
import { failSpan } from './span-error.js';

/** One request being answered. */
export class ServerOperation {
  readonly #span: Span;
  readonly #context: Context;

  constructor(tracer: Tracer, system: string, topic: string, group: string, request: Envelope) {
    const attributes: Record<string, string> = {
      [ATTR.system]: system,
      [ATTR.operationName]: 'respond',
      [ATTR.operationType]: OPERATION_TYPE.process,
      [ATTR.destination]: topic,
      [ATTR.consumerGroup]: group,
      [ATTR.messageId]: request.id,
      [ATTR.messageType]: request.type,
    };
    if (request.correlationid !== undefined) attributes[ATTR.conversationId] = request.correlationid;
    this.#span = tracer.startSpan(
      `respond ${topic}`,
      { kind: SpanKind.SERVER, attributes },
      extractTraceContext(request, ROOT_CONTEXT),
    );
    this.#context = trace.setSpan(ROOT_CONTEXT, this.#span);
  }

  /** Runs the responder inside the span's context and ends the span with its outcome. */
  run<T>(responder: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = context.with(this.#context, responder);
    } catch (error) {
      // A responder that throws before returning a promise still ends its span.
      running = Promise.reject(error);
    }
    return running.then(
      (value) => {
        this.#span.end();
        return value;
      },
      (error: unknown) => {
        failSpan(this.#span, error);
        this.#span.end();
        throw error;
      },
    );
  }
}
