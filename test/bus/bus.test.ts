import { ConstantBackoff, retry as cockatielRetry, handleAll } from 'cockatiel';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bus, createBus, DEAD_LETTER_HEADERS, permanentError } from '../../src/bus/index.js';
import { createSchemaRegistry } from '../../src/envelope/index.js';
import type { Envelope } from '../../src/envelope/types.js';
import { isSwitchboardError, SwitchboardError } from '../../src/errors.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import type { IdempotencyStore } from '../../src/idempotency/types.js';
import type { Delivery, WireMessage } from '../../src/index.js';
import { memoryBroker, memoryTransport } from '../../src/transport/memory/index.js';
import { waitFor } from './wait-for.js';

interface TaskEvents {
  'task.created.v1': { taskId: string; title: string };
  'task.completed.v1': { taskId: string };
  'reminder.due.v1': { reminderId: string };
}

const routes = {
  'task.created.v1': 'task-events',
  'task.completed.v1': 'task-events',
  'reminder.due.v1': 'reminders',
};

const open: Bus<TaskEvents>[] = [];
function bus(options: Partial<Parameters<typeof createBus>[0]> = {}): Bus<TaskEvents> {
  const b = createBus<TaskEvents>({
    transport: memoryTransport(),
    source: 'backend-api',
    routes,
    ...options,
  });
  open.push(b);
  return b;
}

/** Collects the raw messages on a topic, as a dead-letter consumer would. */
async function collect(b: Bus<TaskEvents>, topic: string): Promise<WireMessage[]> {
  const seen: WireMessage[] = [];
  await b.transport.subscribe(
    topic,
    async (d: Delivery) => {
      seen.push({ key: d.message.key, headers: { ...d.message.headers }, body: d.message.body });
      await d.ack();
    },
    { group: `collector-${topic}` },
  );
  return seen;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close({ graceMs: 0 })));
});

describe('bus: publish and subscribe', () => {
  it('delivers by type over a shared topic and acknowledges types it has no handler for', async () => {
    const b = bus();
    const created: Envelope<TaskEvents['task.created.v1']>[] = [];
    const ignored: string[] = [];
    b.events.on('ignored', (e) => ignored.push(e.envelope.type));
    await b.subscribe('task.created.v1', (event) => {
      created.push(event);
    });
    await b.publish('task.created.v1', { taskId: 't-1', title: 'Water plants' }, { key: 't-1' });
    await b.publish('task.completed.v1', { taskId: 't-1' });
    await waitFor(() => created.length === 1 && ignored.length === 1);
    const [event] = created;
    expect(event!.data).toEqual({ taskId: 't-1', title: 'Water plants' });
    expect(event!.source).toBe('backend-api');
    expect(event!.type).toBe('task.created.v1');
    expect(event!.partitionkey).toBe('t-1');
    expect(ignored).toEqual(['task.completed.v1']);
    expect(b.topicFor('task.completed.v1')).toBe('task-events');
  });

  it('encodes and decodes every message when serialization is forced', async () => {
    const b = bus({ serialization: 'always' });
    const got: Envelope[] = [];
    await b.subscribe('reminder.due.v1', (e) => {
      got.push(e);
    });
    const { envelope } = await b.publish(
      'reminder.due.v1',
      { reminderId: 'r-1' },
      { correlationId: 'c-1', subject: 'r-1' },
    );
    await waitFor(() => got.length === 1);
    expect(got[0]).toEqual(envelope);
    expect(got[0]).not.toBe(envelope);
  });

  it('reads Avro data written with v1 as v2 through readerVersions', async () => {
    const registry = createSchemaRegistry();
    const v1 = { type: 'record', name: 'Reminder', fields: [{ name: 'reminderId', type: 'string' }] };
    const v2 = {
      type: 'record',
      name: 'Reminder',
      fields: [
        { name: 'reminderId', type: 'string' },
        { name: 'channel', type: 'string', default: 'email' },
      ],
    };
    registry.register({ type: 'reminder.due.v1', version: '1.0.0', format: 'avro', schema: v1 });
    registry.register({ type: 'reminder.due.v1', version: '2.0.0', format: 'avro', schema: v2 });
    const broker = memoryBroker();
    const producer = bus({ transport: memoryTransport({ broker }), registry, serialization: 'always' });
    const consumer = bus({
      transport: memoryTransport({ broker }),
      source: 'notification-service',
      registry,
      serialization: 'always',
      readerVersions: { 'reminder.due.v1': '2.0.0' },
    });
    const got: Envelope[] = [];
    await consumer.subscribe('reminder.due.v1', (e) => void got.push(e));
    await producer.publish('reminder.due.v1', { reminderId: 'r-1' } as never, { schemaVersion: '1.0.0' });
    await waitFor(() => got.length === 1);
    expect(got[0]!.data).toEqual({ reminderId: 'r-1', channel: 'email' });
    expect(got[0]!.schemaversion).toBe('1.0.0');
    expect(got[0]!.datacontenttype).toMatch(/avro/);
  });

  it('sets causation and correlation on messages published from a handler', async () => {
    const b = bus();
    const completed: Envelope[] = [];
    await b.subscribe('task.created.v1', async (event, ctx) => {
      await ctx.publish('task.completed.v1', { taskId: event.data.taskId });
    });
    await b.subscribe('task.completed.v1', (e) => {
      completed.push(e);
    });
    const { envelope } = await b.publish('task.created.v1', { taskId: 't-2', title: 'x' });
    await waitFor(() => completed.length === 1);
    expect(completed[0]!.causationid).toBe(envelope.id);
    expect(completed[0]!.correlationid).toBe(envelope.id);
  });

  it('publishes a batch in order and delivers per-key order', async () => {
    const b = bus();
    const seen: string[] = [];
    await b.subscribe('reminder.due.v1', (e) => {
      seen.push(e.data.reminderId);
    });
    const results = await b.publishBatch(
      'reminder.due.v1',
      Array.from({ length: 50 }, (_, i) => ({ data: { reminderId: `r-${i}` }, options: { key: 'user-1' } })),
    );
    expect(results.map((r) => (r.envelope.data as { reminderId: string }).reminderId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `r-${i}`),
    );
    await waitFor(() => seen.length === 50);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `r-${i}`));
  });

  it('prepares a message for an outbox without sending it', async () => {
    const b = bus();
    const got: Envelope[] = [];
    await b.subscribe('task.created.v1', (e) => void got.push(e));
    const { topic, envelope, message } = b.prepare(
      'task.created.v1',
      { taskId: 't-7', title: 'x' },
      { key: 't-7' },
    );
    expect(topic).toBe('task-events');
    expect(message.key).toBe('t-7');
    expect(message.headers['ce-id']).toBe(envelope.id);
    expect(new TextDecoder().decode(message.body)).toBe('{"taskId":"t-7","title":"x"}');
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(0);
    // What a relay later publishes is consumed like any message.
    await b.transport.publish(topic, message);
    await waitFor(() => got.length === 1);
    expect(got[0]!.id).toBe(envelope.id);
  });

  it('rejects a second handler for one type in one group', async () => {
    const b = bus();
    await b.subscribe('task.created.v1', () => {});
    await expect(b.subscribe('task.created.v1', () => {})).rejects.toMatchObject({
      code: 'SWB_SUBSCRIBE_FAILED',
    });
    // Another group is fine.
    await b.subscribe('task.created.v1', () => {}, { group: 'audit' });
  });

  it('fans out across groups and only to the named destination', async () => {
    const b = bus();
    const a: string[] = [];
    const c: string[] = [];
    await b.subscribe('reminder.due.v1', (e) => void a.push(e.data.reminderId), {
      group: 'notification-service',
      destination: 'notification-service',
    });
    await b.subscribe('reminder.due.v1', (e) => void c.push(e.data.reminderId), { group: 'audit' });
    await b.publish('reminder.due.v1', { reminderId: 'r-1' }, { destination: 'notification-service' });
    await b.publish('reminder.due.v1', { reminderId: 'r-2' }, { destination: 'someone-else' });
    await waitFor(() => c.length === 2 && a.length >= 1);
    expect(a).toEqual(['r-1']);
    expect(c).toEqual(['r-1', 'r-2']);
  });

  it('subscribeTopic receives every type on a topic that no typed handler claims', async () => {
    const b = bus();
    const all: string[] = [];
    await b.subscribeTopic('task-events', (e) => void all.push(e.type));
    await b.publish('task.created.v1', { taskId: '1', title: 't' });
    await b.publish('task.completed.v1', { taskId: '1' });
    await waitFor(() => all.length === 2);
    expect(all.sort()).toEqual(['task.completed.v1', 'task.created.v1']);
  });

  it('pauses and resumes a subscription', async () => {
    const b = bus();
    const seen: string[] = [];
    const sub = await b.subscribe('reminder.due.v1', (e) => void seen.push(e.data.reminderId));
    sub.pause();
    expect(sub.paused).toBe(true);
    await b.publish('reminder.due.v1', { reminderId: 'r-1' });
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([]);
    sub.resume();
    await waitFor(() => seen.length === 1);
  });
});

describe('bus: failure path', () => {
  it('retries in process, then redelivers, then dead-letters with the standard headers', async () => {
    const b = bus();
    const dead = await collect(b, 'reminders.dlq');
    let calls = 0;
    const attempts: Array<[number, number]> = [];
    await b.subscribe(
      'reminder.due.v1',
      (_e, ctx) => {
        calls++;
        attempts.push([ctx.attempt, ctx.retryAttempt]);
        throw new Error('smtp down');
      },
      {
        retry: cockatielRetry(handleAll, { maxAttempts: 1, backoff: new ConstantBackoff(1) }),
        maxDeliveries: 3,
        redeliveryDelay: 5,
      },
    );
    await b.publish('reminder.due.v1', { reminderId: 'r-1' }, { key: 'u-1' });
    await waitFor(() => dead.length === 1, 5000);
    // 3 deliveries x (1 call + 1 in-process retry)
    expect(calls).toBe(6);
    expect(attempts.map(([a]) => a)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(attempts.map(([, r]) => r)).toEqual([0, 1, 0, 1, 0, 1]);
    const headers = dead[0]!.headers;
    expect(headers[DEAD_LETTER_HEADERS.reason]).toBe('max-deliveries');
    expect(headers[DEAD_LETTER_HEADERS.errorCode]).toBe('Error');
    expect(headers[DEAD_LETTER_HEADERS.errorMessage]).toBe('smtp down');
    expect(headers[DEAD_LETTER_HEADERS.originalTopic]).toBe('reminders');
    expect(headers[DEAD_LETTER_HEADERS.attempts]).toBe('3');
    expect(headers[DEAD_LETTER_HEADERS.consumerGroup]).toBe('backend-api');
    expect(headers[DEAD_LETTER_HEADERS.partition]).toMatch(/^\d+$/);
    expect(headers[DEAD_LETTER_HEADERS.offset]).toMatch(/^\d+$/);
    expect(Date.parse(headers[DEAD_LETTER_HEADERS.firstFailureTime]!)).toBeLessThanOrEqual(
      Date.parse(headers[DEAD_LETTER_HEADERS.lastFailureTime]!),
    );
    expect(dead[0]!.key).toBe('u-1');
  });

  it('builds an in-process retry from options that retries plain errors but not permanent ones', async () => {
    const b = bus();
    const retries: number[] = [];
    let attempts = 0;
    await b.subscribe(
      'reminder.due.v1',
      (_e, ctx) => {
        attempts++;
        retries.push(ctx.retryAttempt);
        if (attempts < 3) throw new Error('flaky smtp');
      },
      { retry: { maxAttempts: 3, initialDelay: 1, maxDelay: 2 } },
    );
    const handled: number[] = [];
    b.events.on('handled', (e) => handled.push(e.attempt));
    await b.publish('reminder.due.v1', { reminderId: 'r-1' });
    await waitFor(() => handled.length === 1);
    expect(attempts).toBe(3);
    expect(handled).toEqual([1]);
    expect(retries[0]).toBe(0);
    expect(new Set(retries).size).toBe(3);
  });

  it('sends permanent errors straight to the dead-letter topic without retrying', async () => {
    const b = bus();
    const dead = await collect(b, 'task-events.dlq');
    let calls = 0;
    await b.subscribe(
      'task.created.v1',
      () => {
        calls++;
        throw permanentError('title too long');
      },
      { retry: cockatielRetry(handleAll, { maxAttempts: 3 }), maxDeliveries: 5 },
    );
    await b.publish('task.created.v1', { taskId: 't', title: 'x'.repeat(600) });
    await waitFor(() => dead.length === 1);
    expect(calls).toBe(1);
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.reason]).toBe('permanent-error');
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('SWB_HANDLER_FAILED');
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.attempts]).toBe('1');
  });

  it('dead-letters malformed bytes with the decode reason and keeps consuming', async () => {
    const b = bus();
    const dead = await collect(b, 'reminders.dlq');
    const handled: string[] = [];
    await b.subscribe('reminder.due.v1', (e) => void handled.push(e.data.reminderId));
    await b.transport.publish('reminders', {
      headers: { 'ce-specversion': '1.0', 'ce-type': 'reminder.due.v1' },
      body: new Uint8Array([0xff, 0x00]),
    });
    await b.transport.publish('reminders', {
      headers: {
        'ce-id': 'x',
        'ce-specversion': '1.0',
        'ce-source': 's',
        'ce-type': 'reminder.due.v1',
        'ce-datacontenttype': 'application/json',
      },
      body: new TextEncoder().encode('{"__proto__": {"polluted": 1}, "reminderId": "r-9"'),
    });
    await b.publish('reminder.due.v1', { reminderId: 'r-ok' });
    await waitFor(() => dead.length === 2 && handled.length === 1);
    expect(handled).toEqual(['r-ok']);
    for (const letter of dead) {
      expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toBe('decode-failed');
      expect(letter.headers[DEAD_LETTER_HEADERS.errorCode]).toMatch(/^SWB_/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('dead-letters expired messages without calling the handler', async () => {
    const b = bus();
    const dead = await collect(b, 'reminders.dlq');
    let calls = 0;
    const sub = await b.subscribe('reminder.due.v1', () => void calls++);
    sub.pause();
    await b.publish('reminder.due.v1', { reminderId: 'r-1' }, { deadline: 10 });
    await new Promise((r) => setTimeout(r, 30));
    sub.resume();
    await waitFor(() => dead.length === 1);
    expect(calls).toBe(0);
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.reason]).toBe('expired');
  });

  it('aborts the handler signal at its timeout and counts it as a retryable failure', async () => {
    const b = bus();
    const dead = await collect(b, 'reminders.dlq');
    let aborted = 0;
    await b.subscribe(
      'reminder.due.v1',
      (_e, { signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted++;
            reject(signal.reason);
          });
        }),
      { timeoutMs: 20, maxDeliveries: 2, redeliveryDelay: 1 },
    );
    await b.publish('reminder.due.v1', { reminderId: 'r-1' });
    await waitFor(() => dead.length === 1, 5000);
    expect(aborted).toBe(2);
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('SWB_TIMEOUT');
  });

  it('drops failed messages only when dead-lettering is disabled', async () => {
    const b = bus();
    const dead = await collect(b, 'reminders.dlq');
    let calls = 0;
    await b.subscribe(
      'reminder.due.v1',
      () => {
        calls++;
        throw permanentError('nope');
      },
      { deadLetter: { enabled: false } },
    );
    await b.publish('reminder.due.v1', { reminderId: 'r-1' });
    await waitFor(() => calls === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(dead).toHaveLength(0);
  });

  it('replays dead letters to their original topic', async () => {
    const b = bus();
    let fail = true;
    const handled: string[] = [];
    await b.subscribe('reminder.due.v1', (e) => {
      if (fail) throw permanentError('provider down');
      handled.push(e.data.reminderId);
    });
    const dead: number[] = [];
    b.events.on('dead-lettered', () => dead.push(1));
    await b.publish('reminder.due.v1', { reminderId: 'r-1' });
    await b.publish('reminder.due.v1', { reminderId: 'r-2' });
    await waitFor(() => dead.length === 2);
    fail = false;
    const replayed = await b.replayDeadLetters({ from: 'reminders.dlq', idleMs: 50 });
    expect(replayed).toBe(2);
    await waitFor(() => handled.length === 2);
    expect(handled.sort()).toEqual(['r-1', 'r-2']);
  });
});

describe('bus: idempotency', () => {
  it('handles a message published twice with the same id once', async () => {
    const b = bus({ idempotency: memoryIdempotencyStore() });
    const effects: string[] = [];
    const duplicates: string[] = [];
    b.events.on('duplicate', (e) => duplicates.push(e.envelope.id));
    await b.subscribe('task.completed.v1', (e) => void effects.push(e.id), { idempotency: true });
    await b.publish('task.completed.v1', { taskId: 't-1' }, { id: '0190b5d2-0000-7000-8000-000000000001' });
    await b.publish('task.completed.v1', { taskId: 't-1' }, { id: '0190b5d2-0000-7000-8000-000000000001' });
    await b.publish('task.completed.v1', { taskId: 't-2' });
    await waitFor(() => effects.length === 2 && duplicates.length === 1);
    expect(effects[0]).toBe('0190b5d2-0000-7000-8000-000000000001');
  });

  it('releases the key of a failed handler so the redelivery runs it again', async () => {
    const b = bus({ idempotency: memoryIdempotencyStore() });
    let calls = 0;
    await b.subscribe(
      'task.completed.v1',
      () => {
        calls++;
        if (calls === 1) throw new Error('transient');
      },
      { idempotency: true, redeliveryDelay: 1 },
    );
    await b.publish('task.completed.v1', { taskId: 't-1' });
    await waitFor(() => calls === 2);
  });

  it('fails closed when the store is down: nothing runs until it is back, then once', async () => {
    const inner = memoryIdempotencyStore();
    let down = true;
    const store: IdempotencyStore = {
      reserve: (k, l) =>
        down
          ? Promise.reject(new SwitchboardError('SWB_STORE_UNAVAILABLE', 'down', { retryable: true }))
          : inner.reserve(k, l),
      commit: (k, t) => inner.commit(k, t),
      release: (k) => inner.release(k),
    };
    const b = bus({ idempotency: store });
    const errors: string[] = [];
    b.events.on('error', (e) => errors.push(e.context));
    let calls = 0;
    await b.subscribe('task.completed.v1', () => void calls++, { idempotency: true });
    await b.publish('task.completed.v1', { taskId: 't-1' });
    await waitFor(() => errors.length >= 1);
    expect(calls).toBe(0);
    expect(errors[0]).toBe('idempotency.reserve');
    down = false;
    await waitFor(() => calls === 1, 5000);
  });

  it('retries a failed commit while the lease lasts, then acknowledges and reports', async () => {
    const inner = memoryIdempotencyStore();
    let commitFailures = 2;
    const commits: string[] = [];
    const store: IdempotencyStore = {
      reserve: (k, l) => inner.reserve(k, l),
      commit: async (k, t) => {
        if (commitFailures-- > 0)
          throw new SwitchboardError('SWB_STORE_UNAVAILABLE', 'blip', { retryable: true });
        commits.push(k);
        await inner.commit(k, t);
      },
      release: (k) => inner.release(k),
    };
    const b = bus({ idempotency: store });
    const handled: string[] = [];
    b.events.on('handled', (e) => handled.push(e.envelope.id));
    await b.subscribe('task.completed.v1', () => {}, { idempotency: true, idempotencyLeaseMs: 10_000 });
    const { envelope } = await b.publish('task.completed.v1', { taskId: 't-1' });
    await waitFor(() => handled.length === 1, 3000);
    expect(commits).toHaveLength(1);
    expect(await inner.reserve(commits[0]!, 1000)).toBe('duplicate');
    expect(handled).toEqual([envelope.id]);

    // A store that never commits: acknowledged after half the lease, with an error event.
    const broken: IdempotencyStore = { ...store, commit: () => Promise.reject(new Error('down')) };
    const c = bus({ idempotency: broken });
    const errors: string[] = [];
    const done: string[] = [];
    c.events.on('error', (e) => errors.push(e.context));
    c.events.on('handled', (e) => done.push(e.envelope.id));
    await c.subscribe('task.completed.v1', () => {}, { idempotency: true, idempotencyLeaseMs: 200 });
    await c.publish('task.completed.v1', { taskId: 't-2' });
    await waitFor(() => done.length === 1, 3000);
    expect(errors).toEqual(['idempotency.commit']);
  });

  it('needs a store for idempotency: true', async () => {
    const b = bus();
    await expect(b.subscribe('task.completed.v1', () => {}, { idempotency: true })).rejects.toMatchObject({
      code: 'SWB_CONFIG_INVALID',
    });
  });
});

describe('bus: request/reply', () => {
  it('answers a request over the reply topic', async () => {
    const b = bus();
    await b.respond('task.created.v1', async (req) => ({ id: req.data.taskId, ok: true }));
    const reply = await b.request('task.created.v1', { taskId: 't-9', title: 'x' }, { timeoutMs: 2000 });
    expect(reply).toEqual({ id: 't-9', ok: true });
  });

  it('brings errors back typed', async () => {
    const b = bus();
    await b.respond('task.created.v1', async () => {
      throw new SwitchboardError('SWB_RATE_LIMITED', 'slow down', { retryable: true });
    });
    const error = await b.request('task.created.v1', { taskId: 't', title: 'x' }).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_RATE_LIMITED')).toBe(true);
    expect((error as SwitchboardError).retryable).toBe(true);
    await b.respond('task.completed.v1', async () => {
      throw new TypeError('boom');
    });
    const plain = await b.request('task.completed.v1', { taskId: 't' }).catch((e: unknown) => e);
    expect(isSwitchboardError(plain, 'SWB_REMOTE_ERROR')).toBe(true);
    expect((plain as SwitchboardError).message).toBe('boom');
  });

  it('times out when nobody answers', async () => {
    const b = bus();
    const error = await b
      .request('reminder.due.v1', { reminderId: 'r' }, { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SWB_REQUEST_TIMEOUT')).toBe(true);
    expect((error as SwitchboardError).retryable).toBe(true);
  });
});

describe('bus: lifecycle, health and topology', () => {
  it('drains in-flight handlers within the grace period and rejects new publishes', async () => {
    const b = bus();
    const done: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    await b.subscribe('reminder.due.v1', async (e) => {
      started();
      await new Promise((r) => setTimeout(r, 50));
      done.push(e.data.reminderId);
    });
    await b.publish('reminder.due.v1', { reminderId: 'r-1' });
    await running;
    await b.close({ graceMs: 1000 });
    expect(done).toEqual(['r-1']);
    await expect(b.publish('reminder.due.v1', { reminderId: 'r-2' })).rejects.toMatchObject({
      code: 'SWB_TRANSPORT_CLOSED',
    });
    const health = await b.health();
    expect(health.status).toBe('unhealthy');
  });

  it('reports health in the seed shape', async () => {
    const b = bus({ version: '1.2.3', idempotency: memoryIdempotencyStore() });
    const health = await b.health();
    expect(health).toMatchObject({
      status: 'healthy',
      version: '1.2.3',
      dependencies: { memory: { status: 'healthy', connected: true } },
    });
    expect(Number.isNaN(Date.parse(health.timestamp))).toBe(false);
  });

  it('describes its topology as data, Markdown and Mermaid', async () => {
    const b = bus();
    await b.subscribe('task.completed.v1', () => {}, { group: 'recurring-task-service' });
    await b.publish('task.created.v1', { taskId: '1', title: 't' });
    await b.publish('reminder.due.v1', { reminderId: 'r' });
    const topology = b.topology();
    expect(topology.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          service: 'backend-api',
          role: 'publishes',
          topic: 'task-events',
          types: ['task.created.v1'],
        }),
        expect.objectContaining({
          role: 'subscribes',
          topic: 'task-events',
          group: 'recurring-task-service',
          types: ['task.completed.v1'],
        }),
        expect.objectContaining({ role: 'publishes', topic: 'reminders', types: ['reminder.due.v1'] }),
      ]),
    );
    const md = topology.toMarkdown();
    expect(md.split('\n')[0]).toBe('| Source | Target | Protocol | Message types |');
    expect(md).toContain('| **backend-api** | memory (`reminders`) | publish | `reminder.due.v1` |');
    expect(md).toContain(
      '| memory (`task-events`) | **backend-api** | subscribe (group `recurring-task-service`) | `task.completed.v1` |',
    );
    const mermaid = topology.toMermaid();
    expect(mermaid.startsWith('flowchart LR')).toBe(true);
    expect(mermaid).toContain('s_backend_api -->|"reminder.due.v1"| t_reminders');
  });

  it('requires a source', () => {
    expect(() => createBus({ transport: memoryTransport(), source: '' })).toThrow(/source/);
  });
});
