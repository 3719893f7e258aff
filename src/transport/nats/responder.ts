/**
 * The responding side of native NATS request/reply: a (queue) subscription that answers each request with the
 * responder's reply. A responder that throws gets an empty reply with the header `swb-error-code` (its error
 * code, or `SWB_HANDLER_FAILED`), which the requesting transport turns into `SWB_REMOTE_ERROR`, so the caller
 * learns of the failure at once instead of waiting for its timeout.
 *
 * @module
 */
import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { isSwitchboardError, SwitchboardError } from '../../errors.js';
import type { Subscription, WireResponder } from '../../transport/types.js';
import { encodeNatsHeaders, wireHeadersOf } from './headers.js';
import { keyFromSubject } from './subjects.js';

/**
 * Header carrying the error code of a failed responder (the requester rejects with `SWB_REMOTE_ERROR`).
 *
 * @example
 * ```ts
 * // A plain NATS responder written without Switchboard can fail a request the same way:
 * const h = headers();
 * h.set(ERROR_CODE_HEADER, 'SWB_HANDLER_FAILED');
 * msg.respond(new Uint8Array(0), { headers: h });
 * ```
 */
export const ERROR_CODE_HEADER = 'swb-error-code';

/** Options of a {@link ResponderSubscription}. */
export interface ResponderOptions {
  readonly connection: NatsConnection;
  readonly topic: string;
  readonly subject: string;
  readonly group: string | undefined;
  readonly responder: WireResponder;
  readonly onError: (error: unknown, context: string) => void;
}

/** Answers requests on a subject (see the module comment). */
export class ResponderSubscription implements Subscription {
  readonly topic: string;
  readonly group: string | undefined;
  private sub: NatsSubscription | undefined;
  private isPaused = false;
  private closePromise: Promise<void> | undefined;
  private readonly inFlight = new Set<AbortController>();
  private idle: (() => void) | undefined;

  constructor(private readonly options: ResponderOptions) {
    this.topic = options.topic;
    this.group = options.group;
    this.listen();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  private listen(): void {
    const { connection, subject, group } = this.options;
    this.sub = connection.subscribe(subject, {
      ...(group === undefined ? {} : { queue: group }),
      callback: (error, msg) => {
        if (error !== null) this.options.onError(error, `responder on ${this.topic}`);
        else void this.answer(msg);
      },
    });
  }

  private async answer(msg: Msg): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const reply = await this.options.responder(
        { key: keyFromSubject(msg.subject), headers: wireHeadersOf(msg), body: msg.data },
        controller.signal,
      );
      if (controller.signal.aborted) return;
      const hdrs = encodeNatsHeaders(reply.headers);
      msg.respond(reply.body, hdrs === undefined ? undefined : { headers: hdrs });
    } catch (error) {
      this.options.onError(error, `responder on ${this.topic}`);
      if (controller.signal.aborted) return;
      const hdrs = natsHeaders();
      hdrs.set(ERROR_CODE_HEADER, isSwitchboardError(error) ? error.code : 'SWB_HANDLER_FAILED');
      msg.respond(new Uint8Array(0), { headers: hdrs });
    } finally {
      this.inFlight.delete(controller);
      if (this.inFlight.size === 0) this.idle?.();
    }
  }

  /** Stops answering (unsubscribes) until {@link resume}; requests meanwhile find no responder here. */
  pause(): void {
    if (this.isPaused || this.closePromise !== undefined) return;
    this.isPaused = true;
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  resume(): void {
    if (!this.isPaused || this.closePromise !== undefined) return;
    this.isPaused = false;
    this.listen();
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.drain(Math.max(0, options.graceMs ?? 0));
    return this.closePromise;
  }

  private async drain(graceMs: number): Promise<void> {
    if (this.sub !== undefined && !this.sub.isClosed()) this.sub.unsubscribe();
    this.sub = undefined;
    if (this.inFlight.size > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const controller of this.inFlight) {
      controller.abort(new SwitchboardError('SWB_ABORTED', 'responder closed'));
    }
    this.inFlight.clear();
  }
}
