import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/index.js';
import { createOtel, registerGlobals, unregisterGlobals, until } from '../../observability/otel.js';
import { publishProcessTrace, requestReplyTrace } from '../../observability/scenarios.js';
import { skipWithout } from '../../support/broker-skip.js';
import { kafkaUnavailableReason, uniqueTopic } from '../../support/kafka-broker.js';
import { testTransport } from '../../support/kafka-transport.js';

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `telemetry over Kafka ${kafkaUnavailableReason}`,
  () => {
    beforeAll(registerGlobals);
    afterAll(unregisterGlobals);

    it('runs one trace from publish through process, with partition and offset', async () => {
      const topic = uniqueTopic('tel');
      const { otel } = await publishProcessTrace(testTransport(), topic, { timeoutMs: 30_000 });
      const send = otel.span(`send ${topic}`);
      const process = otel.span(`process ${topic}`);
      expect(send.attributes['messaging.system']).toBe('kafka');
      expect(send.attributes['messaging.destination.partition.id']).toBe('0');
      expect(send.attributes['messaging.kafka.offset']).toBe(0);
      expect(process.attributes['messaging.destination.partition.id']).toBe('0');
      expect(process.attributes['messaging.kafka.offset']).toBe(0);
      await otel.shutdown();
    });

    it('produces client and server spans in the same trace for request/reply over a reply topic', async () => {
      const topic = uniqueTopic('rr');
      const otel = await requestReplyTrace(
        (o) =>
          createBus({
            transport: testTransport(),
            source: uniqueTopic('svc'),
            routes: { 'task.lookup.v1': topic },
            telemetry: { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider },
          }),
        topic,
        30_000,
      );
      await otel.shutdown();
    });

    it('counts messages sent, consumed, redelivered and dead-lettered', async () => {
      const otel = createOtel();
      const topic = uniqueTopic('telm');
      const bus = createBus({
        transport: testTransport(),
        source: 'metrics-test',
        routes: { 'ok.v1': topic, 'bad.v1': topic },
        telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
      });
      try {
        let handled = 0;
        let dead = 0;
        bus.events.on('dead-lettered', () => void dead++);
        const options = { startFrom: 'earliest' as const };
        await bus.subscribe('ok.v1', () => void handled++, options);
        await bus.subscribe(
          'bad.v1',
          () => {
            throw new Error('always');
          },
          { ...options, maxDeliveries: 2, redeliveryDelay: 50 },
        );
        await bus.publishBatch('ok.v1', [{ data: 1 }, { data: 2 }, { data: 3 }]);
        await bus.publish('ok.v1', { i: 4 });
        await bus.publish('bad.v1', {});
        await until(() => handled === 4 && dead === 1, 30_000, 'four handled and one dead letter');
        await otel.waitFor(`process ${topic}`, 6);
        const on = { 'messaging.system': 'kafka', 'messaging.destination.name': topic };
        expect(await otel.sum('messaging.client.sent.messages', on)).toBe(5);
        const batches = otel
          .spans()
          .filter((s) => s.name === `send ${topic}` && s.attributes['messaging.batch.message_count'] === 3);
        expect(batches).toHaveLength(1);
        expect(await otel.sum('messaging.client.consumed.messages', on)).toBe(6);
        expect(await otel.sum('messaging.client.consumed.messages', { ...on, 'error.type': 'Error' })).toBe(
          2,
        );
        expect(await otel.sum('switchboard.consumer.redeliveries', on)).toBe(1);
        expect(await otel.sum('switchboard.consumer.dead_lettered', on)).toBe(1);
      } finally {
        await bus.close({ graceMs: 0 });
        await otel.shutdown();
      }
    });
  },
);
