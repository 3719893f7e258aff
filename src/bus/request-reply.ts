/**
 * Request/reply for the bus: native on transports that have it (NATS), otherwise over a private reply topic with
 * `correlationid`, so every transport answers requests the same way and errors travel back typed.
 *
 * @module
 */
import type { Envelope } from '../envelope/types.js';
import { ERROR_CODES, type ErrorCode, isSwitchboardError, SwitchboardError } from '../errors.js';

/**
 * The extension that names the reply topic of a request.
 *
 * @example
 * ```ts
 * import { REPLY_TO_EXTENSION } from 'switchboard';
 *
 * // without native request/reply (anything but NATS), requests of a type reach its plain subscribers too
 * await bus.subscribe('task.create.v1', async (event) => {
 *   if (event.extensions?.[REPLY_TO_EXTENSION] !== undefined) return; // a request: bus.respond answers it
 *   await audit.record(event.id);
 * });
 * ```
 */
export const REPLY_TO_EXTENSION = 'replyto';
/**
 * The extension that marks a reply as an error.
 *
 * @example
 * ```ts
 * import { createEnvelope, REPLY_STATUS_EXTENSION } from 'switchboard';
 *
 * // a hand-written responder refusing a request as bus.respond would: bus.request rejects with SWB_RATE_LIMITED
 * const reply = createEnvelope({
 *   type: `${request.type}.reply`, source: 'quota-gateway', correlationid: request.id,
 *   data: { name: 'SwitchboardError', code: 'SWB_RATE_LIMITED', message: 'quota exceeded', retryable: true },
 *   extensions: { [REPLY_STATUS_EXTENSION]: 'error' },
 * });
 * ```
 */
export const REPLY_STATUS_EXTENSION = 'replystatus';

/** The wire form of an error sent back to a requester: no stack, no cause, no payload. */
export interface RemoteErrorData {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Turns an error thrown by a responder into the data of an error reply. */
export function toRemoteError(error: unknown): RemoteErrorData {
  if (isSwitchboardError(error)) {
    return { name: error.name, code: error.code, message: error.message, retryable: error.retryable };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { name, code: 'SWB_REMOTE_ERROR', message, retryable: false };
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Turns the data of an error reply back into a `SwitchboardError` (unknown codes become `SWB_REMOTE_ERROR`). */
export function fromRemoteError(data: unknown, type: string): SwitchboardError {
  const remote = (typeof data === 'object' && data !== null ? data : {}) as Partial<RemoteErrorData>;
  const code =
    typeof remote.code === 'string' && KNOWN_CODES.has(remote.code)
      ? (remote.code as ErrorCode)
      : 'SWB_REMOTE_ERROR';
  const message = typeof remote.message === 'string' ? remote.message : `request '${type}' failed remotely`;
  return new SwitchboardError(code, message, {
    retryable: remote.retryable === true,
    details: { type, remote: true, ...(typeof remote.code === 'string' ? { remoteCode: remote.code } : {}) },
  });
}

/** Whether an envelope is an error reply. */
export function isErrorReply(envelope: Envelope): boolean {
  return envelope.extensions?.[REPLY_STATUS_EXTENSION] === 'error';
}

interface Pending {
  readonly type: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/** Requests waiting for their replies, by correlation id. */
export class PendingRequests {
  readonly #pending = new Map<string, Pending>();

  /** Waits for the reply to `correlationId`, rejecting with `SWB_REQUEST_TIMEOUT` after `timeoutMs`. */
  wait(correlationId: string, type: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(requestTimeout(type, timeoutMs));
      }, timeoutMs);
      this.#pending.set(correlationId, { type, resolve, reject, timer });
      signal?.addEventListener(
        'abort',
        () =>
          this.settle(
            correlationId,
            undefined,
            new SwitchboardError('SWB_ABORTED', `request '${type}' aborted`),
          ),
        { once: true },
      );
    });
  }

  /** Settles a waiting request with its reply; ignores unknown or late replies. */
  settle(correlationId: string, value: unknown, error?: unknown): boolean {
    const pending = this.#pending.get(correlationId);
    if (pending === undefined) return false;
    this.#pending.delete(correlationId);
    clearTimeout(pending.timer);
    if (error !== undefined) pending.reject(error);
    else pending.resolve(value);
    return true;
  }

  /** Settles a waiting request from a reply envelope. */
  settleFromReply(reply: Envelope): boolean {
    const id = reply.correlationid;
    if (id === undefined) return false;
    const pending = this.#pending.get(id);
    if (pending === undefined) return false;
    return isErrorReply(reply)
      ? this.settle(id, undefined, fromRemoteError(reply.data, pending.type))
      : this.settle(id, reply.data);
  }

  /** Rejects everything still waiting (the bus is closing). */
  rejectAll(error: unknown): void {
    for (const id of [...this.#pending.keys()]) this.settle(id, undefined, error);
  }

  get size(): number {
    return this.#pending.size;
  }
}

/** The error a request rejects with when no reply came in time. */
export function requestTimeout(type: string, timeoutMs: number): SwitchboardError {
  return new SwitchboardError('SWB_REQUEST_TIMEOUT', `no reply to '${type}' within ${timeoutMs} ms`, {
    retryable: true,
    details: { type, timeoutMs },
  });
}
