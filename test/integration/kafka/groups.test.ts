import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription, Transport } from '../../../src/index.js';
import { skipWithout } from '../../support/broker-skip.js';
import { kafkaUnavailableReason, uniqueTopic } from '../../support/kafka-broker.js';
import { testTransport } from '../../support/kafka-transport.js';

// Regression: with @platformatic/kafka's own round-robin assigner, one group subscribed to two topics (the bus's
// default group is the service name) handed one topic's partitions to a member that never reads it: that topic
// stalled. Found by the task-platform example; fixed by the subscription-aware assigner.
describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `one group over several topics ${kafkaUnavailableReason}`,
  () => {
    const open: { transports: Transport[]; subs: Subscription[] } = { transports: [], subs: [] };

    afterEach(async () => {
      await Promise.allSettled(open.subs.splice(0).map((s) => s.close()));
      await Promise.allSettled(open.transports.splice(0).map((t) => t.close()));
    });

    it('delivers both topics when one transport subscribes to both under the same group', async () => {
      const [a, b] = [uniqueTopic('ga'), uniqueTopic('gb')];
      const group = uniqueTopic('svc');
      const t = testTransport();
      open.transports.push(t);
      const got: string[] = [];
      for (const topic of [a, b]) {
        open.subs.push(
          await t.subscribe(
            topic,
            async (d) => {
              got.push(`${d.topic}:${new TextDecoder().decode(d.message.body)}`);
              await d.ack();
            },
            { group, startFrom: 'earliest' },
          ),
        );
      }
      await t.publish(a, { headers: {}, body: new TextEncoder().encode('1') });
      await t.publish(b, { headers: {}, body: new TextEncoder().encode('2') });
      const deadline = Date.now() + 30_000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(got.sort()).toEqual([`${a}:1`, `${b}:2`]);
    }, 60_000);

    it('delivers both topics when two members of one group each read one of them', async () => {
      const [a, b] = [uniqueTopic('ga'), uniqueTopic('gb')];
      const group = uniqueTopic('svc');
      const got: string[] = [];
      for (const topic of [a, b]) {
        const t = testTransport();
        open.transports.push(t);
        open.subs.push(
          await t.subscribe(
            topic,
            async (d) => {
              got.push(d.topic);
              await d.ack();
            },
            { group, startFrom: 'earliest' },
          ),
        );
      }
      const producer = testTransport();
      open.transports.push(producer);
      for (let i = 0; i < 5; i++) {
        await producer.publish(a, { headers: {}, body: new Uint8Array([i]) });
        await producer.publish(b, { headers: {}, body: new Uint8Array([i]) });
      }
      const deadline = Date.now() + 30_000;
      while (got.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(got.filter((t) => t === a)).toHaveLength(5);
      expect(got.filter((t) => t === b)).toHaveLength(5);
    }, 60_000);
  },
);
