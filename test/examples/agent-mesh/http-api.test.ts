import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AgentMesh, startAgentMesh } from '../../../examples/agent-mesh/mesh.js';
import type { StandardMessage } from '../../../examples/agent-mesh/standard-envelope.js';
import { unixNanos } from '../../../examples/agent-mesh/standard-envelope.js';
import { memoryTransport } from '../../../src/index.js';

let mesh: AgentMesh;
let base: string;

beforeAll(async () => {
  mesh = await startAgentMesh({ transport: memoryTransport(), http: { port: 0 } });
  base = mesh.url!;
});
afterAll(async () => {
  await mesh.close();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
type Json = any;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: type.includes('json') && text !== '' ? JSON.parse(text) : text };
}

async function subscribe(body: Record<string, unknown>): Promise<string> {
  const created = await call('POST', '/subscriptions', body);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function messages(id: string, expected: number): Promise<StandardMessage[]> {
  const got: StandardMessage[] = [];
  await vi.waitFor(async () => {
    const page = await call('GET', `/subscriptions/${id}/messages?max=100`);
    got.push(...(page.body.messages as StandardMessage[]));
    expect(got.length).toBeGreaterThanOrEqual(expected);
  });
  return got;
}

describe('agent mesh HTTP API', () => {
  it('POST /messages/publish: Avro through the registry, answered and delivered in the seed envelope', async () => {
    const id = await subscribe({ topic: 'system_events', start_from: 'latest' });
    const published = await call('POST', '/messages/publish', {
      message_type: 'system_configuration_changed',
      payload: { key: 'sampling', value: '0.1' },
      correlation_id: 'req-42',
      destination_system: 'performance_metrics_system',
      metadata: { region: 'eu1' },
    });
    expect(published.status).toBe(202);
    expect(published.body).toMatchObject({
      topic: 'system_events',
      message_type: 'system_configuration_changed',
      schema_version: '1.0.0',
    });
    expect(published.body.timestamp).toMatch(/^\d{19}$/);
    const [message] = await messages(id, 1);
    expect(message).toEqual({
      message_id: published.body.message_id,
      correlation_id: 'req-42',
      timestamp: published.body.timestamp,
      source_system: 'agent-mesh',
      destination_system: 'performance_metrics_system',
      message_type: 'system_configuration_changed',
      schema_version: '1.0.0',
      payload: { key: 'sampling', value: '0.1' },
      metadata: { region: 'eu1' },
    });
    expect((await call('DELETE', `/subscriptions/${id}`)).status).toBe(204);
  });

  it('POST /messages/publish refuses bad requests with the field at fault', async () => {
    const cases: [unknown, number, string][] = [
      [{ payload: {} }, 400, 'message_type'],
      [{ message_type: 'system_configuration_changed' }, 400, 'payload'],
      [{ message_type: 'custom_event', payload: {} }, 400, 'topic'],
      [{ message_type: 'agent_spawned', payload: {}, topic: 'system_events' }, 400, 'topic'],
      [{ message_type: 'x', payload: {}, topic: 'nope' }, 400, 'topic'],
      [
        { message_type: 'x', payload: {}, topic: 'system_events', metadata: { 'Bad-Key': 'v' } },
        400,
        'metadata.Bad-Key',
      ],
    ];
    for (const [body, status, field] of cases) {
      const reply = await call('POST', '/messages/publish', body);
      expect(reply.status, field).toBe(status);
      expect(reply.body.error.field, JSON.stringify(body)).toBe(field);
    }
    // A payload that does not fit the Avro schema is the registry's refusal, typed.
    const invalid = await call('POST', '/messages/publish', {
      message_type: 'system_configuration_changed',
      payload: { key: 1 },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('SWB_ENCODE_FAILED');
    const notJson = await fetch(`${base}/messages/publish`, {
      method: 'POST',
      body: '{"__proto__": {"x": 1}}',
    });
    expect(notJson.status).toBe(400);
    // Unknown types go as JSON to the topic named.
    const custom = await call('POST', '/messages/publish', {
      message_type: 'custom_event',
      payload: { a: 1 },
      topic: 'system_events',
    });
    expect(custom.status).toBe(202);
    expect(custom.body.schema_version).toBeNull();
  });

  it('POST /messages/batch: every message accepted in order, or a 207 naming the rejected ones', async () => {
    const id = await subscribe({ topic: 'performance_metrics', start_from: 'latest' });
    const batch = Array.from({ length: 20 }, (_, i) => ({
      message_type: 'performance_metrics_reported',
      key: 'agent-1',
      payload: { agentId: 'agent-1', cpu: i, memoryMb: 512, queueDepth: i },
    }));
    const reply = await call('POST', '/messages/batch', { messages: batch });
    expect(reply.status).toBe(202);
    expect(reply.body.results).toHaveLength(20);
    expect(reply.body.results.every((r: { status: string }) => r.status === 'accepted')).toBe(true);
    const got = await messages(id, 20);
    expect(got.map((m) => (m.payload as { queueDepth: number }).queueDepth)).toEqual(batch.map((_, i) => i));

    const mixed = await call('POST', '/messages/batch', {
      messages: [
        { message_type: 'optimization_cycle_completed', payload: { cycle: 1, improvement: 0.1 } },
        { message_type: 'optimization_cycle_completed', payload: { cycle: 'two' } },
      ],
    });
    expect(mixed.status).toBe(207);
    expect(mixed.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected']);
    expect(mixed.body.results[1].error.code).toBe('SWB_ENCODE_FAILED');
    expect((await call('POST', '/messages/batch', { messages: [] })).status).toBe(400);
    expect((await call('POST', '/messages/batch', { messages: [{ payload: 1 }] })).body.error.field).toBe(
      'messages[0].message_type',
    );
  });

  it('subscriptions: list, type and content filters, pause and resume, delete', async () => {
    const id = await subscribe({
      topic: 'system_events',
      types: ['emergency_state_activated'],
      filter: { 'payload.reason': 'overload' },
    });
    const listed = await call('GET', '/subscriptions');
    expect(listed.body.subscriptions.map((s: { id: string }) => s.id)).toContain(id);
    expect((await call('GET', `/subscriptions/${id}`)).body).toMatchObject({
      topic: 'system_events',
      types: ['emergency_state_activated'],
      paused: false,
    });
    const send = (type: string, reason: string) =>
      call('POST', '/messages/publish', { message_type: type, payload: { reason } });
    await send('emergency_state_activated', 'overload');
    await send('emergency_state_activated', 'maintenance'); // filtered out by content
    await send('recovery_process_initiated', 'overload'); // filtered out by type
    const first = await messages(id, 1);
    expect(first.map((m) => m.payload)).toEqual([{ reason: 'overload' }]);

    const paused = await call('POST', `/subscriptions/${id}/pause`);
    expect(paused.body.paused).toBe(true);
    await send('emergency_state_activated', 'overload');
    await new Promise((r) => setTimeout(r, 50));
    expect((await call('GET', `/subscriptions/${id}/messages`)).body.messages).toEqual([]);
    const resumed = await call('POST', `/subscriptions/${id}/resume`);
    expect(resumed.body.paused).toBe(false);
    expect(await messages(id, 1)).toHaveLength(1); // what arrived while paused is delivered now

    expect((await call('DELETE', `/subscriptions?id=${id}`)).status).toBe(204);
    expect((await call('GET', `/subscriptions/${id}`)).status).toBe(404);
    expect((await call('POST', `/subscriptions/${id}/pause`)).status).toBe(404);
    expect((await call('DELETE', `/subscriptions/${id}`)).status).toBe(404);
    expect((await call('DELETE', '/subscriptions')).status).toBe(400);
    expect((await call('POST', '/subscriptions', { topic: 'nope' })).body.error.field).toBe('topic');
  });

  it('POST /agents runs agent_spawning_saga; GET /agents reads the read model; POST /meshes forms a mesh', async () => {
    const spawned = await call('POST', '/agents', {
      agent_id: 'h-1',
      capabilities: { search: 0.7, planning: 0.2 },
    });
    expect(spawned.status).toBe(201);
    expect(spawned.body).toMatchObject({ saga: 'agent_spawning_saga', status: 'completed' });
    await call('POST', '/agents', { agent_id: 'h-2', capabilities: { search: 0.4 } });
    mesh.network.inject('register', 'fail');
    const rolledBack = await call('POST', '/agents', { agent_id: 'h-3' });
    expect(rolledBack.status).toBe(409);
    expect(rolledBack.body).toMatchObject({
      status: 'compensated',
      failed_step: 'register_with_mesh',
      compensated: ['initialize_agent_state', 'reserve_resources'],
    });
    await vi.waitFor(async () => {
      const found = await call('GET', '/agents?status=active&capability=search&min_level=0.5');
      expect(found.body.agents.map((a: { agentId: string }) => a.agentId)).toEqual(['h-1']);
    });
    const one = await call('GET', '/agents/h-1');
    expect(one.body).toMatchObject({ agentId: 'h-1', status: 'active', stream_version: 1, snapshots: [] });
    expect((await call('GET', '/agents/none')).status).toBe(404);
    expect((await call('POST', '/agents', { agent_id: 'bad id!' })).body.error.field).toBe('agent_id');

    const formed = await call('POST', '/meshes', { mesh_id: 'hm-1', agent_ids: ['h-1', 'h-2'] });
    expect(formed.status).toBe(201);
    expect((await call('POST', '/meshes', { mesh_id: 'hm-2', agent_ids: ['h-1', 'ghost'] })).status).toBe(
      409,
    );
  });

  it('/metrics, /health and /ready', async () => {
    const metrics = await call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain(
      'messages_produced_total{topic="system_events",type="system_configuration_changed"}',
    );
    expect(metrics.body).toContain('# TYPE end_to_end_latency_seconds histogram');
    expect(metrics.body).toMatch(/saga_runs_total\{saga="agent_spawning_saga",status="compensated"\} 1/);
    expect(metrics.body).toContain(
      'http_requests_total{method="POST",route="/messages/publish",status="202"}',
    );
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'healthy',
      version: '4.5.0',
      dependencies: { memory: { status: 'healthy' }, sagas: { status: 'healthy', failed: 0 } },
    });
    expect((await call('GET', '/ready')).body).toEqual({ status: 'ready' });
    expect((await call('GET', '/nowhere')).status).toBe(404);
  });

  it('reports unix nanoseconds exactly', () => {
    expect(unixNanos('2026-01-02T03:04:05.123456789Z')).toBe('1767323045123456789');
    expect(unixNanos('2026-01-02T04:04:05.5+01:00')).toBe('1767323045500000000');
    expect(() => unixNanos('yesterday')).toThrow();
  });
});

describe('agent mesh HTTP API while closing', () => {
  it('/ready answers 503 once the mesh is closing', async () => {
    const m = await startAgentMesh({ transport: memoryTransport(), http: { port: 0 } });
    const url = m.url!;
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(m.ready()).toBe(true);
    const closing = m.close();
    expect(m.ready()).toBe(false);
    await closing;
  });
});
