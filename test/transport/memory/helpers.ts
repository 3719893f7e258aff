import type { WireMessage } from '../../../src/envelope/types.js';
import type { Delivery } from '../../../src/transport/types.js';

/** Lets every pending microtask (and the dispatch they trigger) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A wire message whose `n` header identifies it. */
export function msg(n: number, key?: string): WireMessage {
  return { key, headers: { n: String(n) }, body: new Uint8Array([n & 0xff]) };
}

/** The `n` header of a delivery. */
export function nOf(delivery: Delivery): number {
  return Number(delivery.message.headers.n);
}

/** A handler that records each delivery's `n` and acks it. */
export function collect(into: number[]): (delivery: Delivery) => Promise<void> {
  return (delivery) => {
    into.push(nOf(delivery));
    return delivery.ack();
  };
}

/** A handler that keeps each delivery and acks it. */
export function keep(into: Delivery[]): (delivery: Delivery) => Promise<void> {
  return (delivery) => {
    into.push(delivery);
    return delivery.ack();
  };
}
