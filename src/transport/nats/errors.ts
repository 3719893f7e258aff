/**
 * Turns nats.js failures into SwitchboardErrors.
 *
 * @module
 */
import { errors as natsErrors } from '@nats-io/transport-node';
import { type ErrorCode, isSwitchboardError, SwitchboardError } from '../../errors.js';

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Whether the server said nobody listens on the subject (core no-responders, or no stream for JetStream). */
export function isNoResponders(error: unknown): boolean {
  return causes(error).some(
    (e) =>
      e instanceof natsErrors.NoRespondersError ||
      (e instanceof natsErrors.RequestError && e.isNoResponders()) ||
      (e instanceof Error && e.name === 'JetStreamNotEnabled'),
  );
}

/** Whether a request timed out. */
export function isTimeout(error: unknown): boolean {
  return causes(error).some((e) => e instanceof natsErrors.TimeoutError);
}

/** Whether the connection is closed for good. */
export function isClosedConnection(error: unknown): boolean {
  return causes(error).some(
    (e) => e instanceof natsErrors.ClosedConnectionError || e instanceof natsErrors.DrainingConnectionError,
  );
}

/** Whether a JetStream API call failed because the stream or consumer does not exist. */
export function isNotFound(error: unknown, what: 'stream' | 'consumer'): boolean {
  return causes(error).some((e) => e instanceof Error && e.message.includes(`${what} not found`));
}

/** Wraps any failure as a SwitchboardError with `code`; closed connections and timeouts get their own flags. */
export function wrapNatsError(
  error: unknown,
  code: ErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): SwitchboardError {
  if (isSwitchboardError(error)) return error;
  const retryable = !isClosedConnection(error);
  return new SwitchboardError(code, message, {
    retryable,
    cause: error,
    ...(details === undefined ? {} : { details }),
  });
}
