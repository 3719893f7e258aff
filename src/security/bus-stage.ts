/**
 * The security layer inside a bus: the secure codec, plus the one check a synchronous codec cannot make, the
 * replay lookup in the (asynchronous) idempotency store.
 *
 * Each delivery is decoded and checked before the consumer pipeline sees it; the outcome (the envelope, or the
 * rejection) is handed to the pipeline's own `decode` call through a per-message table, so a rejected message
 * takes the pipeline's ordinary path: a dead letter with reason `decode-failed`, and the next message.
 *
 * A first sighting reserves its id for `leaseMs`; the bus's events settle it: `handled`, `ignored` and
 * `duplicate` commit it for the whole window, `failed` and `redelivery` release it so the broker's redelivery
 * is not mistaken for a replay. A store that is down fails closed: the delivery is nacked and comes back.
 *
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import type { EnvelopeCodec } from '../bus/local-codec.js';
import type { BusEventMap } from '../bus/types.js';
import type { Envelope, WireMessage } from '../envelope/types.js';
import { isSwitchboardError } from '../errors.js';
import type { Delivery } from '../transport/types.js';
import type { SecurityOptions } from './options.js';
import { type ReplayScope, replayKey, reserveSighting } from './replay.js';
import { secureCodec } from './secure-codec.js';

/** What the bus holds when `security` is configured. */
export interface BusSecurity {
  /** Encodes with signing and encryption; decodes with every check. */
  readonly codec: EnvelopeCodec;
  /** Wraps a subscription's delivery handler with the replay lookup (or returns it as is without a store). */
  wrap(
    scope: ReplayScope,
    next: (delivery: Delivery) => Promise<void>,
  ): (delivery: Delivery) => Promise<void>;
  /** Settles sightings from the bus's lifecycle events. */
  listen(events: EventEmitter<BusEventMap>): void;
}

const STORE_DOWN_DELAY_MS = 1000;

class Rejection {
  constructor(readonly error: unknown) {}
}

/**
 * Builds the security layer of a bus around its serializer.
 *
 * @param onError - told about store failures (the bus turns them into `error` events).
 * @example
 * ```ts
 * const security = busSecurity(serializer, options.security, (error, context) => events.emit('error', { error, context }));
 * transport.subscribe(topic, security.wrap({ topic, group }, consumer.onDelivery), { group });
 * ```
 */
export function busSecurity(
  inner: EnvelopeCodec,
  options: SecurityOptions,
  onError: (error: unknown, context: string) => void,
): BusSecurity {
  const secure = secureCodec(inner, options);
  const { replay, protects } = secure;
  const store = replay?.store;
  const checked = new WeakMap<WireMessage, Envelope | Rejection>();

  const codec: EnvelopeCodec = {
    encode: secure.encode,
    decode: (message) => {
      const outcome = checked.get(message);
      if (outcome === undefined) return secure.decode(message);
      if (outcome instanceof Rejection) throw outcome.error;
      return outcome;
    },
  };

  const wrap: BusSecurity['wrap'] = (scope, next) => {
    if (store === undefined || replay === undefined) return next;
    return async (delivery) => {
      const message = delivery.message;
      let outcome: Envelope | Rejection;
      try {
        outcome = secure.decode(message);
      } catch (error) {
        outcome = new Rejection(error);
      }
      if (!(outcome instanceof Rejection) && protects(outcome.type)) {
        try {
          await reserveSighting(store, replayKey(scope, outcome), replay);
        } catch (error) {
          if (isReplay(error)) outcome = new Rejection(error);
          else {
            // Fail closed: without the lookup the message is neither processed nor dropped.
            onError(error, 'security.replay');
            await delivery.nack({ delayMs: STORE_DOWN_DELAY_MS });
            return;
          }
        }
      }
      checked.set(message, outcome);
      try {
        await next(delivery);
      } finally {
        checked.delete(message);
      }
    };
  };

  const listen: BusSecurity['listen'] = (events) => {
    if (store === undefined || replay === undefined) return;
    const settle =
      (action: 'commit' | 'release') => (event: { envelope: Envelope | undefined } & ReplayScope) => {
        if (event.envelope === undefined || !protects(event.envelope.type)) return;
        const key = replayKey(event, event.envelope);
        const done = action === 'commit' ? store.commit(key, replay.rememberMs) : store.release(key);
        // The reservation's lease bounds the harm of a lost settle; report it and carry on.
        done.catch((error: unknown) => onError(error, `security.replay.${action}`));
      };
    events.on('handled', settle('commit'));
    events.on('ignored', settle('commit'));
    events.on('duplicate', settle('commit'));
    events.on('failed', settle('release'));
    events.on('redelivery', settle('release'));
  };

  return { codec, wrap, listen };
}

function isReplay(error: unknown): boolean {
  return isSwitchboardError(error, 'SWB_REPLAY_DETECTED');
}
