/**
 * How failures show on spans: `error.type` and an error status whose description is the type too. Never the
 * error's message or stack (`recordException` would add both): a handler's message may quote its payload.
 *
 * @module
 */
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { errorType } from './redaction.js';
import { ATTR } from './semconv.js';

/**
 * Marks `span` as failed by `error`, payload-free, and returns the error type.
 *
 * @example
 * ```ts
 * try { await work(); } catch (error) { failSpan(span, error); throw error; } finally { span.end(); }
 * ```
 */
export function failSpan(span: Span, error: unknown): string {
  const type = errorType(error);
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  return type;
}
