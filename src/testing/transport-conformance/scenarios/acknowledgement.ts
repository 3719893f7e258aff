/**
 * Settlement: nack redelivers (after its delay), a throwing handler counts as a nack, and an ordered
 * transport does not hand out a key's next message while one is unsettled.
 *
 * @module
 */
import { expect } from 'vitest';
import type { Delivery } from '../../../transport/types.js';
import { needs, type Scenario } from '../scenario.js';
import { expectIntact, ID_HEADER, idOf, seqOf } from '../test-messages.js';

/** watermill TestResendOnError: every message is nacked once, then redelivered intact and acked. */
export const resendOnNack: Scenario = {
  name: 'resend-on-nack',
  timeoutMs: 20_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('nack'));
    const received = ctx.received();
    const firstAttempt = new Map<string, number>();
    const laterAttempt = new Map<string, number>();
    const sent = Array.from({ length: ctx.count(20) }, (_, i) => ctx.message(i));
    await ctx.subscribe(
      topic,
      (delivery) => {
        const id = idOf(delivery);
        if (received.record(delivery)) {
          firstAttempt.set(id, delivery.attempt);
          return delivery.nack();
        }
        laterAttempt.set(id, delivery.attempt);
        return received.ack(delivery);
      },
      { group: ctx.group('g'), startFrom: 'earliest' },
    );
    await ctx.publishAll(topic, sent);
    await ctx.waitFor(
      () => received.ackedCount >= sent.length,
      15_000,
      () => `${received.ackedCount}/${sent.length} acknowledged after a nack`,
    );
    for (const message of sent) {
      const id = message.headers[ID_HEADER]!;
      expect(received.deliveriesOf(id)).toBeGreaterThanOrEqual(2);
      expect(laterAttempt.get(id), `attempt of the redelivery of ${id}`).toBeGreaterThan(
        firstAttempt.get(id)!,
      );
      expectIntact(received.get(id), message);
    }
  },
};

/** watermill TestNoAck: with ordering, a key's second message waits while the first is unsettled. */
export const noSecondDeliveryWhileUnacked: Scenario = {
  name: 'no-second-delivery-while-unacked',
  timeoutMs: 15_000,
  unsupported: needs('guaranteedOrder'),
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('noack'));
    const seen: Delivery[] = [];
    // Slots to spare, so only ordering can hold the second message back.
    await ctx.subscribe(topic, (delivery) => void seen.push(delivery), {
      group: ctx.group('g'),
      startFrom: 'earliest',
      concurrency: 4,
      ordered: true,
    });
    await ctx.publishAll(topic, [ctx.message(1, { key: 'same' }), ctx.message(2, { key: 'same' })]);
    await ctx.waitFor(() => seen.length >= 1, 10_000, 'the first message');
    await ctx.quiet(300);
    expect(seen.map(seqOf), 'deliveries while the first is unsettled').toEqual([1]);
    await seen[0]!.ack();
    await ctx.waitFor(() => seen.some((d) => seqOf(d) === 2), 10_000, 'the second message after the ack');
    await Promise.all(seen.map((d) => d.ack()));
  },
};

/** watermill TestContinueAfterErrors: handlers that throw (sync) or reject (async) get the message again. */
export const continueAfterErrors: Scenario = {
  name: 'continue-after-errors',
  timeoutMs: 20_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('errors'));
    const received = ctx.received();
    const sent = Array.from({ length: ctx.count(30) }, (_, i) => ctx.message(i));
    await ctx.subscribe(
      topic,
      (delivery) => {
        if (received.record(delivery)) {
          if (seqOf(delivery) % 2 === 0) throw new Error('handler failed synchronously');
          return Promise.reject(new Error('handler failed asynchronously'));
        }
        return received.ack(delivery);
      },
      { group: ctx.group('g'), startFrom: 'earliest' },
    );
    await ctx.publishAll(topic, sent);
    await ctx.waitFor(
      () => received.ackedCount >= sent.length,
      15_000,
      () => `${received.ackedCount}/${sent.length} acknowledged after a failure`,
    );
    for (const message of sent) {
      expect(received.deliveriesOf(message.headers[ID_HEADER]!)).toBeGreaterThanOrEqual(2);
    }
  },
};

/** Ours: `nack({ delayMs })` is not redelivered before the delay has passed. */
export const nackWithDelayHonoured: Scenario = {
  name: 'nack-with-delay-honoured',
  timeoutMs: 20_000,
  async run(ctx) {
    const delayMs = 300;
    // Timers may fire a hair early on some clocks; anything earlier than this is a real violation.
    const tolerance = 15;
    const topic = await ctx.provision(ctx.topic('delay'));
    const received = ctx.received();
    const nackedAt = new Map<string, number>();
    const waited = new Map<string, number>();
    const sent = Array.from({ length: 3 }, (_, i) => ctx.message(i));
    await ctx.subscribe(
      topic,
      (delivery) => {
        const id = idOf(delivery);
        if (received.record(delivery)) {
          nackedAt.set(id, performance.now());
          return delivery.nack({ delayMs });
        }
        if (!waited.has(id)) waited.set(id, performance.now() - nackedAt.get(id)!);
        return received.ack(delivery);
      },
      { group: ctx.group('g'), startFrom: 'earliest' },
    );
    await ctx.publishAll(topic, sent);
    await ctx.waitFor(
      () => received.ackedCount >= sent.length,
      15_000,
      () => `${received.ackedCount}/3 redelivered`,
    );
    for (const [id, ms] of waited) {
      expect(
        ms,
        `redelivery of ${id} came ${ms.toFixed(1)} ms after a ${delayMs} ms nack`,
      ).toBeGreaterThanOrEqual(delayMs - tolerance);
    }
  },
};
