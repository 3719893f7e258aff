import { metrics } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Bus, createBus } from '../../src/bus/index.js';
import type { Envelope } from '../../src/envelope/types.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { circuitBreaker, createResilienceEvents } from '../../src/resilience/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { createOtel, type Otel, registerGlobals, unregisterGlobals, until } from './otel.js';

beforeAll(registerGlobals);
afterAll(unregisterGlobals);

const buses: Bus[] = [];
const otels: Otel[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ graceMs: 0 })));
  await Promise.all(otels.splice(0).map((o) => o.shutdown()));
});

function setup(options: Partial<Parameters<typeof createBus>[0]> = {}): { bus: Bus; otel: Otel } {
  const otel = createOtel();
  otels.push(otel);
  const bus = createBus({
    transport: memoryTransport(),
    source: 'svc',
    telemetry: { meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider },
    ...options,
  });
  buses.push(bus);
  return { bus, otel };
}

const memory = { 'messaging.system': 'memory' };

describe('metrics', () => {
  it('counts messages sent, consumed, retried, redelivered and dead-lettered', async () => {
    const { bus, otel } = setup();
    const dead: Envelope[] = [];
    let handled = 0;
    let flaky = 0;
    await bus.subscribe('ok.v1', () => void handled++);
    // Fails twice in process, then succeeds: two retries, one handled message.
    await bus.subscribe(
      'flaky.v1',
      () => {
        flaky++;
        if (flaky <= 2) throw new Error('try again');
      },
      { retry: { maxAttempts: 3, initialDelay: 1, maxDelay: 1 } },
    );
    // Always fails: two deliveries (one redelivery), then the dead-letter topic.
    await bus.subscribe(
      'bad.v1',
      () => {
        throw new Error('never');
      },
      { maxDeliveries: 2, redeliveryDelay: 1 },
    );
    bus.events.on('dead-lettered', () => void dead.push({} as Envelope));
    for (let i = 0; i < 5; i++) await bus.publish('ok.v1', { i });
    await bus.publishBatch('ok.v1', [{ data: 'a' }, { data: 'b' }, { data: 'c' }]);
    await bus.publish('flaky.v1', {});
    await bus.publish('bad.v1', {});
    await until(() => handled === 8 && flaky === 3 && dead.length === 1);
    await otel.waitFor('process flaky.v1');

    expect(
      await otel.sum('messaging.client.sent.messages', { ...memory, 'messaging.destination.name': 'ok.v1' }),
    ).toBe(8);
    // The dead letter itself is published raw to the transport, not through `publish`.
    expect(await otel.sum('messaging.client.sent.messages')).toBe(10);
    expect(
      await otel.count('messaging.client.operation.duration', { 'messaging.operation.name': 'send' }),
    ).toBe(8);
    expect(
      await otel.sum('messaging.client.consumed.messages', {
        'messaging.destination.name': 'ok.v1',
        'messaging.consumer.group.name': 'svc',
      }),
    ).toBe(8);
    expect(await otel.count('messaging.process.duration', { 'messaging.destination.name': 'ok.v1' })).toBe(8);
    expect(
      await otel.sum('messaging.client.consumed.messages', { 'messaging.destination.name': 'flaky.v1' }),
    ).toBe(1);
    expect(await otel.sum('switchboard.consumer.retries', { 'messaging.destination.name': 'flaky.v1' })).toBe(
      2,
    );
    expect(
      await otel.sum('messaging.client.consumed.messages', {
        'messaging.destination.name': 'bad.v1',
        'error.type': 'Error',
      }),
    ).toBe(2);
    expect(
      await otel.sum('switchboard.consumer.redeliveries', { 'messaging.destination.name': 'bad.v1' }),
    ).toBe(1);
    expect(
      await otel.sum('switchboard.consumer.dead_lettered', {
        'messaging.destination.name': 'bad.v1',
        'switchboard.dead_letter.reason': 'max-deliveries',
      }),
    ).toBe(1);
    const durations = await otel.points('messaging.process.duration');
    for (const point of durations) expect((point.value as { min: number }).min).toBeGreaterThanOrEqual(0);
  });

  it('counts duplicates skipped by the idempotency store', async () => {
    const { bus, otel } = setup({ idempotency: memoryIdempotencyStore() });
    let handled = 0;
    await bus.subscribe('once.v1', () => void handled++, { idempotency: true });
    await bus.publish('once.v1', {}, { id: '01890a5d-ac96-774b-bcce-b302099a8057' });
    await until(() => handled === 1);
    await bus.publish('once.v1', {}, { id: '01890a5d-ac96-774b-bcce-b302099a8057' });
    await until(() => handled === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(
      await otel.sum('switchboard.consumer.duplicates', { 'messaging.destination.name': 'once.v1' }),
    ).toBe(1);
  });

  it('counts messages that cannot be decoded as consumed with their error type', async () => {
    const { bus, otel } = setup({ serialization: 'always' });
    await bus.subscribe('junk.v1', () => undefined);
    const dead: unknown[] = [];
    bus.events.on('dead-lettered', (e) => dead.push(e));
    await bus.transport.publish('junk.v1', { headers: {}, body: new TextEncoder().encode('{not json') });
    await until(() => dead.length === 1);
    const points = await otel.points('messaging.client.consumed.messages');
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes['error.type']).toMatch(/^SWB_/);
    expect(
      await otel.sum('switchboard.consumer.dead_lettered', {
        'switchboard.dead_letter.reason': 'decode-failed',
      }),
    ).toBe(1);
  });

  it('counts failed sends with their error type, and requests', async () => {
    const { bus, otel } = setup();
    await bus.respond('ask.v1', () => 'yes');
    expect(await bus.request('ask.v1', {})).toBe('yes');
    await bus.transport.close();
    await expect(bus.publish('gone.v1', {})).rejects.toThrow();
    expect(
      await otel.sum('messaging.client.sent.messages', {
        'messaging.destination.name': 'gone.v1',
        'error.type': 'SWB_TRANSPORT_CLOSED',
      }),
    ).toBe(1);
    expect(
      await otel.count('messaging.client.operation.duration', { 'messaging.operation.name': 'request' }),
    ).toBe(1);
  });

  it('reports consumer lag from the transport as a gauge', async () => {
    const { bus, otel } = setup();
    const sub = await bus.subscribe('slow.v1', () => undefined, { group: 'workers' });
    sub.pause();
    for (let i = 0; i < 3; i++) await bus.publish('slow.v1', { i });
    const lag = await otel.points('switchboard.consumer.lag');
    const point = lag.find((p) => p.attributes['messaging.destination.name'] === 'slow.v1');
    expect(point?.attributes['messaging.consumer.group.name']).toBe('workers');
    expect(point?.value).toBe(3);
  });

  it('reports circuit breaker states from registered breakers and resilience events', async () => {
    const events = createResilienceEvents();
    const registered = circuitBreaker({ name: 'smtp', events });
    const subscribed = circuitBreaker({ events });
    const otel = createOtel();
    otels.push(otel);
    const bus = createBus({
      transport: memoryTransport(),
      source: 'svc',
      breakers: { smtp: registered },
      telemetry: { meterProvider: otel.meterProvider, resilienceEvents: events },
    });
    buses.push(bus);
    await bus.subscribe('mail.v1', () => undefined, { breaker: subscribed, group: 'mailers' });
    // A breaker the bus does not know, seen only through its events.
    const elsewhere = circuitBreaker({ name: 'payments', events });
    const handle = elsewhere.isolate();
    registered.isolate();
    const states = async (): Promise<Record<string, unknown>> =>
      Object.fromEntries(
        (await otel.points('switchboard.circuit_breaker.state')).map((p) => [
          p.attributes['switchboard.policy.name'],
          p.value,
        ]),
      );
    expect(await states()).toEqual({ smtp: 3, 'mail.v1/mailers': 0, payments: 3 });
    handle.dispose();
    expect((await states()).payments).toBe(0);
  });

  it('follows the global meter provider, and stops when the bus closes', async () => {
    const otel = createOtel();
    otels.push(otel);
    const bus = createBus({ transport: memoryTransport(), source: 'svc', telemetry: {} });
    let handled = 0;
    await bus.subscribe('m.v1', () => void handled++);
    await bus.publish('m.v1', {});
    metrics.setGlobalMeterProvider(otel.meterProvider);
    try {
      await bus.publish('m.v1', {});
      await until(() => handled === 2);
      expect(await otel.sum('messaging.client.sent.messages')).toBe(1);
      await bus.close();
      // The lag gauge's callback is gone with the bus: collecting no longer asks the transport.
      const health = vi.spyOn(bus.transport, 'health');
      await otel.points('switchboard.consumer.lag');
      expect(health).not.toHaveBeenCalled();
    } finally {
      metrics.disable();
    }
  });
});
