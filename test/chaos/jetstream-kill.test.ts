/**
 * Chaos scenario 1: the JetStream server is killed with SIGKILL while 20 publishers send 10 000 messages, then
 * started again on the same port and store directory. Every publish that resolved is handled, exactly once with
 * the idempotency store.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { describeServers } from './support/env.js';
import { Ledger } from './support/ledger.js';
import { type ChaosNats, chaosNats, chaosNatsTransport } from './support/nats-server.js';
import { publishConcurrently } from './support/publishers.js';
import { settle, sleep, until } from './support/timing.js';

const TYPE = 'chaos.kill.v1';
const TOTAL = 10_000;

describeServers('chaos 1: JetStream killed (SIGKILL) during 10 000 publishes', () => {
  let nats: ChaosNats;
  beforeAll(async () => {
    nats = await chaosNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('handles every acknowledged publish exactly once after the restart', async () => {
    const transport = chaosNatsTransport(nats.url, {
      publishTimeoutMs: 2000,
      idleHeartbeatMs: 1000,
      pullExpiresMs: 5000,
      ackWaitMs: 5000,
    });
    const bus = createBus({
      transport,
      source: 'chaos-kill',
      idempotency: memoryIdempotencyStore(),
      telemetry: false,
    });
    const ledger = new Ledger().watch(bus);
    const reconnects = { disconnected: 0, connected: 0 };
    transport.events.on('disconnected', () => reconnects.disconnected++);
    transport.events.on('connected', () => reconnects.connected++);
    let acknowledgedAtKill = -1;
    let handledAtKill = -1;
    try {
      await bus.subscribe(TYPE, (event) => void ledger.effect(event.id), {
        group: 'kill',
        concurrency: 16,
        idempotency: true,
      });
      const fault = (async () => {
        await until(() => ledger.acknowledged.size >= TOTAL * 0.3, 60_000, '30 % acknowledged');
        await nats.kill();
        acknowledgedAtKill = ledger.acknowledged.size;
        handledAtKill = ledger.effects.size;
        await sleep(1500);
        await nats.start();
      })();
      await publishConcurrently(bus, ledger, TYPE, { total: TOTAL, publishers: 20, prefix: 'k' });
      await fault;
      await until(() => ledger.complete(), 90_000, 'every acknowledged publish handled');
      await settle(() => ledger.handled + ledger.duplicates, 1500);
    } finally {
      await bus.close({ graceMs: 1000 });
    }

    ledger.report('1 JetStream SIGKILL during 10 000 publishes (20 publishers)', {
      'acknowledged-at-kill': acknowledgedAtKill,
      'handled-at-kill': handledAtKill,
      'rejected-publish-calls': ledger.publishFailures,
      disconnects: reconnects.disconnected,
    });
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    // The kill hit the run in the middle: publishes were in flight and rejected, and the client reconnected.
    expect(acknowledgedAtKill).toBeGreaterThan(0);
    expect(acknowledgedAtKill).toBeLessThan(TOTAL);
    expect(ledger.publishFailures).toBeGreaterThan(0);
    expect(reconnects.disconnected).toBeGreaterThan(0);
    // Every message was retried until acknowledged, and each was handled once.
    expect(ledger.acknowledged.size).toBe(TOTAL);
    expect(ledger.effects.size).toBe(TOTAL);
    expect(ledger.handled).toBe(TOTAL);
  }, 180_000);
});
