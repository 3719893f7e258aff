/**
 * A Transport test double for the outbox relay: it records what was published and can fail or slow down on
 * demand. PostgreSQL stays real in these tests; only the far side of the relay is replaced.
 *
 * @module
 */
import type { WireMessage } from '../../src/envelope/types.js';
import { SwitchboardError } from '../../src/errors.js';
import type { PublishOptions, PublishReceipt, Transport } from '../../src/transport/types.js';

/** One accepted publish. */
export interface Publication {
  readonly topic: string;
  readonly messageId: string | undefined;
  readonly key: string | undefined;
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** The double: `publish` plus what it saw. */
export interface RecordingTransport extends Pick<Transport, 'publish'> {
  /** Accepted publishes, in the order they were accepted. */
  readonly published: Publication[];
  /** Every call, accepted or failed. */
  calls: number;
  /** Stop accepting: later calls reject with SWB_TRANSPORT_CLOSED (to catch publishes after a relay stopped). */
  closed: boolean;
}

/**
 * Creates the double. `fail(publication, call)` decides whether a call fails (retryable SWB_PUBLISH_FAILED);
 * `delayMs` makes each call take that long.
 */
export function recordingTransport(
  options: { fail?: (p: Publication, call: number) => boolean; delayMs?: () => number } = {},
): RecordingTransport {
  const double: RecordingTransport = {
    published: [],
    calls: 0,
    closed: false,
    async publish(
      topic: string,
      message: WireMessage,
      publishOptions?: PublishOptions,
    ): Promise<PublishReceipt> {
      const call = ++double.calls;
      if (double.closed) throw new SwitchboardError('SWB_TRANSPORT_CLOSED', 'closed');
      const publication: Publication = {
        topic,
        messageId: publishOptions?.messageId,
        key: message.key,
        headers: message.headers,
        text: new TextDecoder().decode(message.body),
      };
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (options.fail?.(publication, call)) {
        throw new SwitchboardError('SWB_PUBLISH_FAILED', 'broker said no', { retryable: true });
      }
      double.published.push(publication);
      return { topic };
    },
  };
  return double;
}

/** A wire message with a text body. */
export function textMessage(text: string, key?: string, headers: Record<string, string> = {}): WireMessage {
  return { ...(key === undefined ? {} : { key }), headers, body: new TextEncoder().encode(text) };
}
