/**
 * Telemetry scenarios shared by the in-memory, NATS and Kafka tests: each runs a bus over the given transport
 * with the SDK fixtures of `otel.ts` and checks what was recorded.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { expect } from 'vitest';
import { type Bus, createBus } from '../../src/bus/index.js';
import type { Envelope } from '../../src/envelope/types.js';
import type { Transport } from '../../src/transport/types.js';
import { createOtel, type Otel, until } from './otel.js';

/** Attributes that must hold on every span about a message on `topic`. */
function expectMessaging(attributes: Record<string, unknown>, system: string, topic: string): void {
  expect(attributes['messaging.system']).toBe(system);
  expect(attributes['messaging.destination.name']).toBe(topic);
}

/**
 * One message from `publish` through `process`: a PRODUCER `send` span and a CONSUMER `process` span in one
 * trace (the consumer a child of the producer), an `ack` settle span under it, and the conventions' attributes.
 */
export async function publishProcessTrace(
  transport: Transport,
  topic: string,
  options: { group?: string; timeoutMs?: number } = {},
): Promise<{ otel: Otel; envelope: Envelope }> {
  const otel = createOtel();
  const group = options.group ?? 'trace-consumers';
  const bus = createBus({
    transport,
    source: 'trace-test',
    routes: { 'task.created.v1': topic },
    telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
  });
  try {
    const seen: Envelope[] = [];
    const active: (string | undefined)[] = [];
    await bus.subscribe(
      'task.created.v1',
      (envelope) => {
        seen.push(envelope);
        active.push(trace.getActiveSpan()?.spanContext().spanId);
      },
      { group, startFrom: 'earliest' },
    );
    const { envelope } = await bus.publish(
      'task.created.v1',
      { taskId: 't-1' },
      { correlationId: 'req-42', key: 'k-1' },
    );
    await until(() => seen.length === 1, options.timeoutMs ?? 10_000, 'the message');
    await otel.waitFor(`process ${topic}`);

    const send = otel.span(`send ${topic}`);
    const process = otel.span(`process ${topic}`);
    const ack = otel.span(`ack ${topic}`);
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(ack.kind).toBe(SpanKind.CLIENT);
    expect(process.spanContext().traceId).toBe(send.spanContext().traceId);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(ack.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    // The handler ran inside the process span.
    expect(active).toEqual([process.spanContext().spanId]);
    // The envelope on the consumer side carried the producer's context.
    expect(seen[0]?.traceparent).toBe(
      `00-${send.spanContext().traceId}-${send.spanContext().spanId}-0${send.spanContext().traceFlags}`,
    );

    const system = transport.system;
    expectMessaging(send.attributes, system, topic);
    expect(send.attributes).toMatchObject({
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.message.id': envelope.id,
      'messaging.message.conversation_id': 'req-42',
    });
    expectMessaging(process.attributes, system, topic);
    expect(process.attributes).toMatchObject({
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.message.id': envelope.id,
      'messaging.message.conversation_id': 'req-42',
      'messaging.consumer.group.name': group,
    });
    expect(ack.attributes).toMatchObject({
      'messaging.operation.name': 'ack',
      'messaging.operation.type': 'settle',
      'messaging.message.id': envelope.id,
    });
    for (const span of [send, process, ack]) expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    return { otel, envelope };
  } finally {
    await bus.close({ graceMs: 0 });
  }
}

/** Request/reply: a CLIENT `request` span and a SERVER `respond` span in the same trace. */
export async function requestReplyTrace(
  makeBus: (otel: Otel) => Bus,
  topic: string,
  timeoutMs = 10_000,
): Promise<Otel> {
  const otel = createOtel();
  const bus = makeBus(otel);
  try {
    await bus.respond('task.lookup.v1', (request) => ({ found: (request.data as { id: string }).id }));
    const reply = await bus.request('task.lookup.v1', { id: 'x-1' }, { timeoutMs });
    expect(reply).toEqual({ found: 'x-1' });
    await otel.waitFor(`respond ${topic}`);
    await otel.waitFor(`request ${topic}`);
    const client = otel.span(`request ${topic}`);
    const server = otel.span(`respond ${topic}`);
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(client.spanContext().traceId);
    expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(client.attributes['messaging.system']).toBe(bus.transport.system);
    expect(server.attributes['messaging.destination.name']).toBe(topic);
    return otel;
  } finally {
    await bus.close({ graceMs: 0 });
  }
}
