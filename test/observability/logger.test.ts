import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus, type Logger } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { logBusEvents } from '../../src/observability/logger.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { createOtel, type Otel, registerGlobals, unregisterGlobals, until } from './otel.js';

beforeAll(registerGlobals);
afterAll(unregisterGlobals);

interface Line {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string | undefined;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg?: string): void =>
      void lines.push({ level, fields, msg });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const buses: Bus[] = [];
const otels: Otel[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ graceMs: 0 })));
  await Promise.all(otels.splice(0).map((o) => o.shutdown()));
});

describe('logging bus events', () => {
  it('logs failures, redeliveries and dead letters through the bus logger, with trace ids', async () => {
    const otel = createOtel();
    otels.push(otel);
    const { logger, lines } = capture();
    const bus = createBus({
      transport: memoryTransport(),
      source: 'svc',
      logger,
      telemetry: { tracerProvider: otel.tracerProvider },
    });
    buses.push(bus);
    await bus.subscribe(
      'fail.v1',
      () => {
        throw new Error('smtp down');
      },
      { maxDeliveries: 2, redeliveryDelay: 1 },
    );
    const { envelope } = await bus.publish('fail.v1', {});
    await until(() => lines.some((l) => l.msg === 'message dead-lettered'));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'message handler failed'],
      ['info', 'message will be redelivered'],
      ['warn', 'message handler failed'],
      ['error', 'message dead-lettered'],
    ]);
    expect(lines[0]?.fields).toMatchObject({
      messageId: envelope.id,
      type: 'fail.v1',
      topic: 'fail.v1',
      group: 'svc',
      attempt: 1,
      error: { type: 'Error', name: 'Error' },
    });
    expect(lines[0]?.fields.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]?.fields.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(lines[1]?.fields).toMatchObject({ attempt: 1, delayMs: 1 });
    expect(lines[3]?.fields).toMatchObject({ reason: 'max-deliveries', deadLetterTopic: 'fail.v1.dlq' });
  });

  it('logs duplicates, ignored messages and errors at their levels; per-message lines only when asked', async () => {
    const bus = createBus({
      transport: memoryTransport(),
      source: 'svc',
      idempotency: memoryIdempotencyStore(),
      telemetry: false,
    });
    buses.push(bus);
    const { logger, lines } = capture();
    const stop = logBusEvents(bus, logger, { perMessage: true });
    let handled = 0;
    await bus.subscribe('once.v1', () => void handled++, { idempotency: true, destination: 'svc' });
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    await bus.publish('once.v1', {}, { id });
    await until(() => handled === 1);
    await bus.publish('once.v1', {}, { id });
    await bus.publish('once.v1', {}, { destination: 'someone-else' });
    bus.events.emit('error', { error: new Error('s3cret'), context: 'test' });
    await until(() => lines.filter((l) => l.msg === 'message ignored').length === 1);
    // The in-memory transport may deliver before `publish` resolves: compare without order.
    expect(lines.map((l) => l.msg).sort()).toEqual(
      [
        'message published',
        'message handled',
        'message published',
        'duplicate message skipped',
        'message published',
        'message ignored',
        'switchboard error',
      ].sort(),
    );
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(6);
    expect(lines.find((l) => l.msg === 'switchboard error')?.fields).toEqual({
      context: 'test',
      error: { type: 'Error', name: 'Error' },
    });
    expect(lines.find((l) => l.msg === 'message ignored')?.fields.reason).toBe('other-destination');
    stop();
    const before = lines.length;
    await bus.publish('once.v1', {});
    await until(() => handled === 2);
    expect(lines).toHaveLength(before);
  });

  it('drops a failed message with a warning when dead-lettering is disabled', async () => {
    const { logger, lines } = capture();
    const bus = createBus({ transport: memoryTransport(), source: 'svc', logger, telemetry: false });
    buses.push(bus);
    await bus.subscribe(
      'drop.v1',
      () => {
        throw new Error('x');
      },
      { maxDeliveries: 1, deadLetter: { enabled: false } },
    );
    await bus.publish('drop.v1', {});
    await until(() => lines.some((l) => l.level === 'warn' && l.msg?.startsWith('dropping') === true));
  });
});
