/**
 * A Transport wrapper that runs a hook right before every `ack()` a subscriber sends: the point where a consumer
 * has handled a message and recorded it, and the broker does not know yet. Chaos fixtures kill their process
 * there, or note acks made after a drain began.
 *
 * @module
 */
import type {
  Delivery,
  DeliveryHandler,
  Subscription,
  Transport,
  TransportSubscribeOptions,
} from '../../../src/transport/types.js';

/** Called before the ack of `delivery` is passed on. */
export type AckHook = (delivery: Delivery) => void;

/** Wraps `inner` so `hook` runs before every ack of its subscriptions' deliveries. */
export function withAckHook(inner: Transport, hook: AckHook): Transport {
  const wrap = (delivery: Delivery): Delivery => ({
    topic: delivery.topic,
    message: delivery.message,
    attempt: delivery.attempt,
    coordinates: delivery.coordinates,
    signal: delivery.signal,
    get settled() {
      return delivery.settled;
    },
    ack: () => {
      hook(delivery);
      return delivery.ack();
    },
    nack: (options) => delivery.nack(options),
    working: () => delivery.working(),
  });
  return {
    get system() {
      return inner.system;
    },
    get features() {
      return inner.features;
    },
    get events() {
      return inner.events;
    },
    connect: () => inner.connect(),
    publish: (topic, message, options) => inner.publish(topic, message, options),
    publishBatch: (topic, messages, options) => inner.publishBatch(topic, messages, options),
    subscribe: (
      topic: string,
      handler: DeliveryHandler,
      options?: TransportSubscribeOptions,
    ): Promise<Subscription> => inner.subscribe(topic, (delivery) => handler(wrap(delivery)), options),
    close: (options) => inner.close(options),
    health: () => inner.health(),
  };
}
