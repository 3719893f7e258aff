/**
 * Closing, aborting, pausing: what stops, what is given back, what is flushed.
 *
 * @module
 */
import { expect } from 'vitest';
import { isSwitchboardError } from '../../../errors.js';
import type { Delivery, PublishReceipt, Subscription } from '../../../transport/types.js';
import { needs, type Scenario } from '../scenario.js';
import { ID_HEADER, idOf } from '../test-messages.js';

/**
 * watermill TestConcurrentClose: ten subscribers of a group close at once (each twice) while messages flow;
 * no closed one runs a handler afterwards, and a new subscriber of the group gets the rest.
 */
export const concurrentClose: Scenario = {
  name: 'concurrent-close',
  timeoutMs: 30_000,
  async run(ctx) {
    const total = ctx.count(200);
    const topic = await ctx.provision(ctx.topic('close'), 2);
    const group = ctx.group('g');
    const received = ctx.received();
    let afterClose = 0;
    let closed = false;
    const subscriptions: Subscription[] = [];
    for (let i = 0; i < 10; i++) {
      subscriptions.push(
        await ctx.subscribe(
          topic,
          async (delivery) => {
            if (closed) afterClose++;
            received.record(delivery);
            await new Promise<void>((resolve) => ctx.later(resolve, 1));
            await received.ack(delivery);
          },
          { group, startFrom: 'earliest', concurrency: 2 },
        ),
      );
    }
    await ctx.publishAll(
      topic,
      Array.from({ length: total }, (_, i) => ctx.message(i)),
    );
    await ctx.waitFor(
      () => received.size >= Math.min(total, 20),
      10_000,
      () => `${received.size} messages`,
    );
    await Promise.all([...subscriptions, ...subscriptions].map((subscription) => subscription.close()));
    closed = true;
    await ctx.quiet(100);
    expect(afterClose, 'handler calls after close resolved').toBe(0);
    if (
      ctx.features.consumerGroups &&
      (ctx.features.persistent || ctx.features.newSubscriberReceivesOldMessages)
    ) {
      await ctx.subscribe(topic, received.handler, { group, startFrom: 'earliest' });
      await ctx.waitFor(
        () => received.ackedCount >= total,
        15_000,
        () => `${received.ackedCount}/${total} acked`,
      );
    }
    await Promise.all([ctx.transport.close(), ctx.transport.close()]);
  },
};

/**
 * watermill TestPublisherClose: publishes still in flight when the publishing transport closes are flushed (they
 * resolve) and reach a subscriber on another transport; afterwards publish and subscribe reject with
 * `SWB_TRANSPORT_CLOSED`.
 */
export const publisherCloseFlushes: Scenario = {
  name: 'publisher-close-flushes',
  timeoutMs: 30_000,
  async run(ctx) {
    const total = ctx.count(100);
    const topic = await ctx.provision(ctx.topic('flush'));
    const received = ctx.received();
    await ctx.subscribe(topic, received.handler, { group: ctx.group('g'), startFrom: 'earliest' });
    const publisher = await ctx.another();
    const pending: Promise<PublishReceipt>[] = [];
    for (let i = 0; i < total; i++) pending.push(publisher.publish(topic, ctx.message(i)));
    await publisher.close();
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    await ctx.waitFor(
      () => received.size >= total,
      15_000,
      () => `${received.size}/${total} flushed messages`,
    );
    await expect(publisher.publish(topic, ctx.message(total))).rejects.toSatisfy((error: unknown) =>
      isSwitchboardError(error, 'SWB_TRANSPORT_CLOSED'),
    );
    await expect(publisher.subscribe(topic, () => {})).rejects.toSatisfy((error: unknown) =>
      isSwitchboardError(error, 'SWB_TRANSPORT_CLOSED'),
    );
  },
};

/**
 * watermill TestMessageCtx: a delivery still unsettled when the grace period runs out has its signal aborted;
 * settling it afterwards does nothing, so its group gets the message again.
 */
export const deliverySignalAbortedOnClose: Scenario = {
  name: 'delivery-signal-aborted-on-close',
  timeoutMs: 20_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('signal'));
    const group = ctx.group('g');
    const held: Delivery[] = [];
    const subscription = await ctx.subscribe(topic, (delivery) => void held.push(delivery), {
      group,
      startFrom: 'earliest',
    });
    await ctx.transport.publish(topic, ctx.message(1));
    await ctx.waitFor(() => held.length >= 1, 10_000, 'the delivery');
    const delivery = held[0]!;
    expect(delivery.signal.aborted).toBe(false);
    await subscription.close({ graceMs: ctx.ms(100) });
    expect(delivery.signal.aborted, 'signal after close').toBe(true);
    await delivery.ack();
    expect(delivery.settled, 'an ack after close takes no effect').toBe(false);
    if (ctx.features.consumerGroups) {
      const again = ctx.received();
      await ctx.subscribe(topic, again.handler, { group, startFrom: 'earliest' });
      await ctx.waitFor(() => again.size >= 1, 10_000, 'redelivery to the next subscriber');
      expect(again.ids()).toEqual([idOf(delivery)]);
    }
  },
};

/**
 * watermill TestSubscribeCtx: aborting the `signal` given to `subscribe` closes the subscription: unsettled
 * deliveries are aborted and later messages are not handed to it.
 */
export const subscriptionAbort: Scenario = {
  name: 'subscription-abort',
  timeoutMs: 20_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('abort'));
    const group = ctx.group('g');
    const controller = new AbortController();
    const seen: Delivery[] = [];
    await ctx.subscribe(topic, (delivery) => void seen.push(delivery), {
      group,
      startFrom: 'earliest',
      signal: controller.signal,
    });
    await ctx.transport.publish(topic, ctx.message(1));
    await ctx.waitFor(() => seen.length >= 1, 10_000, 'the first delivery');
    controller.abort();
    await ctx.waitFor(() => seen[0]!.signal.aborted, 5_000, 'the unsettled delivery to be aborted');
    await ctx.transport.publish(topic, ctx.message(2));
    await ctx.quiet(200);
    expect(seen.map(idOf), 'deliveries to the aborted subscription').toEqual([`${ctx.run}-1`]);
    if (ctx.features.consumerGroups) {
      const next = ctx.received();
      await ctx.subscribe(topic, next.handler, { group, startFrom: 'earliest' });
      await ctx.waitFor(
        () => next.size >= 2,
        10_000,
        () => `${next.size}/2 messages for the next subscriber`,
      );
    }
  },
};

/**
 * Ours: close with a grace period while handlers run. What was acked before close resolved stays acked, what
 * was still in hand is aborted and goes to the group's next subscriber, and the closed subscriber runs no
 * handler after close resolved.
 */
export const drainUnderLoad: Scenario = {
  name: 'drain-under-load',
  timeoutMs: 40_000,
  unsupported: needs('consumerGroups'),
  async run(ctx) {
    const total = ctx.count(500);
    const topic = await ctx.provision(ctx.topic('drain'), 4);
    const group = ctx.group('g');
    const ackedByFirst = new Set<string>();
    const stuck = new Set<string>();
    const lateAcks: string[] = [];
    let handled = 0;
    let closeResolved = false;
    let callsAfterClose = 0;
    const first = await ctx.subscribe(
      topic,
      (delivery) => {
        if (closeResolved) callsAfterClose++;
        handled++;
        const id = idOf(delivery);
        if (handled === 10 || handled === 30) {
          // Stuck until aborted; the ack it then sends must take no effect. Only two, so an ordered
          // transport still has partitions free to make progress.
          stuck.add(id);
          delivery.signal.addEventListener(
            'abort',
            () => {
              void delivery.ack().then(() => {
                if (delivery.settled) lateAcks.push(id);
              });
            },
            { once: true },
          );
          return;
        }
        ctx.later(() => {
          void delivery.ack().then(() => {
            if (delivery.settled) ackedByFirst.add(id);
          });
        }, handled % 4);
      },
      { group, startFrom: 'earliest', concurrency: 8 },
    );
    const publishing = ctx.publishAll(
      topic,
      Array.from({ length: total }, (_, i) => ctx.message(i, { key: `key-${i % 32}` })),
      ctx.transport,
      50,
    );
    await ctx.waitFor(
      () => handled >= Math.min(total, 100),
      15_000,
      () => `${handled} handled before close`,
    );
    await first.close({ graceMs: ctx.ms(200) });
    closeResolved = true;
    await publishing;
    const next = ctx.received();
    await ctx.subscribe(topic, next.handler, { group, startFrom: 'earliest', concurrency: 8 });
    const covered = (): number => {
      let n = ackedByFirst.size;
      for (const id of next.ids()) if (!ackedByFirst.has(id)) n++;
      return n;
    };
    await ctx.waitFor(
      () => covered() >= total,
      20_000,
      () => `${covered()}/${total} acked by either subscriber`,
    );
    expect(callsAfterClose, 'handler calls after close resolved').toBe(0);
    expect(lateAcks, 'acks after close that took effect').toEqual([]);
    expect(stuck.size).toBeGreaterThan(0);
    for (const id of stuck) {
      expect(ackedByFirst.has(id), `${id} was acked after close`).toBe(false);
      expect(next.deliveriesOf(id), `${id} was not redelivered`).toBeGreaterThanOrEqual(1);
    }
  },
};

/** Ours: a paused subscription gets nothing; after resume it gets everything that waited. */
export const pauseAndResume: Scenario = {
  name: 'pause-and-resume',
  timeoutMs: 20_000,
  async run(ctx) {
    const topic = await ctx.provision(ctx.topic('pause'));
    const received = ctx.received();
    const subscription = await ctx.subscribe(topic, received.handler, {
      group: ctx.group('g'),
      startFrom: 'earliest',
    });
    subscription.pause();
    subscription.pause();
    expect(subscription.paused).toBe(true);
    const sent = Array.from({ length: 10 }, (_, i) => ctx.message(i));
    await ctx.publishAll(topic, sent);
    await ctx.quiet(300);
    expect(received.size, 'deliveries while paused').toBe(0);
    subscription.resume();
    subscription.resume();
    expect(subscription.paused).toBe(false);
    await ctx.waitFor(
      () => received.size >= sent.length,
      10_000,
      () => `${received.size}/10 after resume`,
    );
    expect(new Set(received.ids())).toEqual(new Set(sent.map((m) => m.headers[ID_HEADER])));
  },
};
