import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import { createOtel, registerGlobals, unregisterGlobals, until } from '../../observability/otel.js';
import { publishProcessTrace, requestReplyTrace } from '../../observability/scenarios.js';
import {
  deleteStreams,
  describeNats,
  natsUrl,
  uniqueName,
  uniqueStreamPrefix,
} from '../../support/nats-helpers.js';

describeNats('telemetry over NATS', () => {
  const streamPrefix = uniqueStreamPrefix();
  beforeAll(registerGlobals);
  afterAll(async () => {
    unregisterGlobals();
    await deleteStreams(streamPrefix);
  });

  it('runs one trace from publish through process on JetStream', async () => {
    const topic = uniqueName('tel');
    const { otel } = await publishProcessTrace(
      natsTransport({ servers: natsUrl, streamPrefix, ackWaitMs: 2000, idleHeartbeatMs: 500 }),
      topic,
    );
    expect(otel.span(`send ${topic}`).attributes['messaging.system']).toBe('nats');
    await otel.shutdown();
  });

  it('runs one trace from publish through process in core mode', async () => {
    const topic = uniqueName('tel');
    const { otel } = await publishProcessTrace(natsTransport({ servers: natsUrl, mode: 'core' }), topic);
    await otel.shutdown();
  });

  it('produces client and server spans in the same trace for native request/reply', async () => {
    const otel = await requestReplyTrace(
      (o) =>
        createBus({
          transport: natsTransport({ servers: natsUrl, mode: 'core' }),
          source: uniqueName('rr'),
          telemetry: { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider },
        }),
      'task.lookup.v1',
    );
    await otel.shutdown();
  });

  it('counts messages sent, consumed, redelivered and dead-lettered', async () => {
    const otel = createOtel();
    const topic = uniqueName('telm');
    const bus = createBus({
      transport: natsTransport({ servers: natsUrl, streamPrefix, ackWaitMs: 2000, idleHeartbeatMs: 500 }),
      source: 'metrics-test',
      routes: { 'ok.v1': topic, 'bad.v1': topic },
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
    try {
      let handled = 0;
      let dead = 0;
      bus.events.on('dead-lettered', () => void dead++);
      await bus.subscribe('ok.v1', () => void handled++);
      await bus.subscribe(
        'bad.v1',
        () => {
          throw new Error('always');
        },
        { maxDeliveries: 2, redeliveryDelay: 50 },
      );
      for (let i = 0; i < 4; i++) await bus.publish('ok.v1', { i });
      await bus.publish('bad.v1', {});
      await until(() => handled === 4 && dead === 1, 15_000, 'four handled and one dead letter');
      await otel.waitFor(`process ${topic}`, 6);
      const on = { 'messaging.system': 'nats', 'messaging.destination.name': topic };
      expect(await otel.sum('messaging.client.sent.messages', on)).toBe(5);
      expect(await otel.sum('messaging.client.consumed.messages', on)).toBe(6);
      expect(await otel.sum('messaging.client.consumed.messages', { ...on, 'error.type': 'Error' })).toBe(2);
      expect(await otel.sum('switchboard.consumer.redeliveries', on)).toBe(1);
      expect(await otel.sum('switchboard.consumer.dead_lettered', on)).toBe(1);
      const lag = await otel.points('switchboard.consumer.lag');
      expect(lag.find((p) => p.attributes['messaging.destination.name'] === topic)?.value).toBe(0);
    } finally {
      await bus.close({ graceMs: 0 });
      await otel.shutdown();
    }
  });
});
