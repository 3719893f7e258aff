import { type ErrorCode, isSwitchboardError, SwitchboardError } from '../../errors.js';

interface KafkaClientError {
  code?: unknown;
  canRetry?: unknown;
  apiId?: unknown;
  errors?: unknown;
  message?: unknown;
}

/** Whether `@platformatic/kafka` says trying again may help (every error in an aggregate must allow it). */
export function kafkaErrorRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as KafkaClientError;
  if (Array.isArray(e.errors) && e.errors.length > 0)
    return e.errors.every((inner) => kafkaErrorRetryable(inner));
  if (e.canRetry === false) return false;
  if (e.code === 'PLT_KFK_USER' || e.code === 'PLT_KFK_UNSUPPORTED' || e.code === 'PLT_KFK_AUTHENTICATION')
    return false;
  return true;
}

/** The broker-side error name (`UNKNOWN_TOPIC_OR_PARTITION`, ...) somewhere in an error chain, for details. */
function apiIds(error: unknown, out: Set<string> = new Set(), depth = 0): Set<string> {
  if (typeof error !== 'object' || error === null || depth > 5) return out;
  const e = error as KafkaClientError;
  if (typeof e.apiId === 'string') out.add(e.apiId);
  if (Array.isArray(e.errors)) for (const inner of e.errors) apiIds(inner, out, depth + 1);
  return out;
}

/**
 * Wraps a client error in a SwitchboardError with `code`, keeping the original as `cause`. The message names the
 * operation and topic only: never keys, headers or payloads.
 *
 * @internal
 */
export function toKafkaError(
  code: ErrorCode,
  operation: string,
  error: unknown,
  details: Record<string, unknown> = {},
  retryable = kafkaErrorRetryable(error),
): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  const ids = [...apiIds(error)];
  const clientCode =
    typeof (error as KafkaClientError | null)?.code === 'string'
      ? (error as KafkaClientError).code
      : undefined;
  return new SwitchboardError(code, `kafka ${operation} failed${ids.length ? ` (${ids.join(', ')})` : ''}`, {
    retryable,
    cause: error,
    details: {
      ...details,
      ...(clientCode ? { clientCode } : {}),
      ...(ids.length ? { brokerErrors: ids } : {}),
    },
  });
}

/** The error every call on a closed transport rejects with. */
export function closedError(what: string): SwitchboardError {
  return new SwitchboardError('SWB_TRANSPORT_CLOSED', `kafka transport is closed: cannot ${what}`);
}
