import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AgentEvent, AgentRuleError } from '../../../examples/agent-mesh/agents/agent.js';
import { AgentService } from '../../../examples/agent-mesh/agents/agent-service.js';
import { AgentEventStore, ConcurrencyError } from '../../../examples/agent-mesh/agents/event-store.js';
import { AgentReadModel } from '../../../examples/agent-mesh/agents/read-model.js';
import { meshRegistry, pinnedRegistry } from '../../../examples/agent-mesh/schemas.js';
import { meshRouter } from '../../../examples/agent-mesh/topics.js';
import { type Bus, createBus, type Envelope, memoryTransport } from '../../../src/index.js';

const spawned = (agentId: string): AgentEvent => ({
  type: 'agent_spawned',
  data: { agentId, kind: 'planner', capabilities: { planning: 0.5 }, reservationId: 'r-1' },
});
const performance = (agentId: string, n: number): AgentEvent => ({
  type: 'agent_performance_updated',
  data: {
    agentId,
    tasksCompleted: n,
    successRate: (n % 100) / 100,
    avgLatencyMs: n * 1.5,
    p99LatencyMs: null,
  },
});
const evolved = (agentId: string, level: number): AgentEvent => ({
  type: 'agent_capability_evolved',
  data: { agentId, capability: `skill${level % 3}`, level },
});

describe('agent event store', () => {
  it('takes a snapshot every 100 events and loads from the latest snapshot plus the tail', () => {
    const store = new AgentEventStore();
    store.append('a-1', [spawned('a-1')], 0);
    for (let n = 1; n <= 249; n++) store.append('a-1', [performance('a-1', n)], n);
    expect(store.version('a-1')).toBe(250);
    expect(store.snapshots('a-1').map((s) => s.version)).toEqual([100, 200]);
    const loaded = store.load('a-1');
    expect(loaded).toMatchObject({ version: 250, replayed: 50, snapshotVersion: 200 });
    expect(loaded.state).toEqual(store.replay('a-1').state);
    expect(loaded.state.updates).toBe(249);
    expect(store.read('a-1', 249).map((e) => e.version)).toEqual([249, 250]);
    expect(store.agentIds()).toEqual(['a-1']);
  });

  it('rebuilding from snapshot + tail equals a full replay, for any events appended in any batches', () => {
    const eventsArb = fc
      .array(fc.oneof(fc.constant('perf' as const), fc.constant('evolve' as const)), { maxLength: 420 })
      .chain((kinds) =>
        fc.record({
          kinds: fc.constant(kinds),
          batches: fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 20 }),
          terminate: fc.boolean(),
        }),
      );
    fc.assert(
      fc.property(eventsArb, ({ kinds, batches, terminate }) => {
        const events: AgentEvent[] = [spawned('x')];
        for (const [i, kind] of kinds.entries())
          events.push(kind === 'perf' ? performance('x', i) : evolved('x', i + 1));
        if (terminate) events.push({ type: 'agent_terminated', data: { agentId: 'x', reason: 'done' } });
        const store = new AgentEventStore();
        let at = 0;
        for (let b = 0; at < events.length; b++) {
          const size = batches[b % batches.length]!;
          store.append('x', events.slice(at, at + size), at);
          at = Math.min(events.length, at + size);
        }
        const snapshots = store.snapshots('x');
        expect(snapshots.map((s) => s.version)).toEqual(
          Array.from({ length: Math.floor(events.length / 100) }, (_, i) => (i + 1) * 100),
        );
        // Each snapshot is the state after exactly its version's events.
        for (const snapshot of snapshots) {
          const partial = new AgentEventStore();
          partial.append('x', events.slice(0, snapshot.version), 0);
          expect(snapshot.state).toEqual(partial.replay('x').state);
        }
        const loaded = store.load('x');
        expect(loaded.state).toEqual(store.replay('x').state);
        expect(loaded.version).toBe(events.length);
        expect(loaded.replayed).toBe(events.length % 100);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects an append at a stale version', () => {
    const store = new AgentEventStore();
    store.append('a', [spawned('a')], 0);
    expect(() => store.append('a', [performance('a', 1)], 0)).toThrow(ConcurrencyError);
    expect(store.version('a')).toBe(1);
  });
});

describe('agent commands and the CQRS read model', () => {
  const buses: Bus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  function meshBus(): Bus {
    const bus = createBus({
      transport: memoryTransport(),
      source: 'agent-spawning-framework',
      routes: meshRouter(),
      registry: pinnedRegistry(meshRegistry()),
      serialization: 'always', // Avro bytes on the in-memory transport too
    });
    buses.push(bus);
    return bus;
  }

  it('the projection of agent_lifecycle (Avro over the bus) matches the event store', async () => {
    const bus = meshBus();
    const store = new AgentEventStore({ snapshotEvery: 10 });
    const agents = new AgentService(store, bus);
    const directory = new AgentReadModel();
    await directory.start(bus);
    for (const id of ['a-1', 'a-2', 'a-3']) {
      await agents.spawn({
        agentId: id,
        kind: 'worker',
        capabilities: { search: 0.2 },
        reservationId: `r-${id}`,
      });
    }
    for (let n = 1; n <= 25; n++) {
      await agents.updatePerformance({
        agentId: 'a-1',
        tasksCompleted: n,
        successRate: 0.9,
        avgLatencyMs: 12,
      });
    }
    await agents.evolveCapability({ agentId: 'a-2', capability: 'search', level: 0.8 });
    await agents.terminate('a-3', 'idle');
    await vi.waitFor(() => expect(directory.applied).toBe(3 + 25 + 2));
    for (const id of ['a-1', 'a-2', 'a-3']) {
      const { version, ...summary } = directory.get(id)!;
      const loaded = store.load(id);
      expect(version).toBe(loaded.version);
      expect({ ...summary, lastEventAt: undefined }).toEqual({ ...loaded.state, lastEventAt: undefined });
    }
    expect(store.snapshots('a-1').map((s) => s.version)).toEqual([10, 20]);
    expect(directory.list({ status: 'active' }).map((a) => a.agentId)).toEqual(['a-1', 'a-2']);
    expect(directory.list({ capability: 'search', minLevel: 0.5 }).map((a) => a.agentId)).toEqual(['a-2']);
    expect(directory.stats()).toEqual({ total: 3, active: 2, terminated: 1 });
  });

  it('skips redelivered events by stream version', async () => {
    const bus = meshBus();
    const seen: Envelope[] = [];
    await bus.subscribe('agent_spawned', (e) => void seen.push(e), { group: 'spy', startFrom: 'earliest' });
    const agents = new AgentService(new AgentEventStore(), bus);
    await agents.spawn({ agentId: 'd-1', kind: 'k', capabilities: {}, reservationId: 'r' });
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    const directory = new AgentReadModel();
    expect(directory.apply(seen[0]!)).toBe(true);
    expect(directory.apply(seen[0]!)).toBe(false);
    expect(directory.duplicates).toBe(1);
  });

  it('enforces the business rules of the aggregate', async () => {
    const agents = new AgentService(new AgentEventStore(), { publish: async () => ({}) as never });
    await agents.spawn({ agentId: 'r-1', kind: 'k', capabilities: { a: 0.5 }, reservationId: 'r' });
    await expect(
      agents.spawn({ agentId: 'r-1', kind: 'k', capabilities: {}, reservationId: 'r' }),
    ).rejects.toThrow(AgentRuleError);
    await expect(agents.evolveCapability({ agentId: 'r-1', capability: 'a', level: 0.4 })).rejects.toThrow(
      'may only evolve upward',
    );
    await agents.terminate('r-1', 'done');
    await expect(
      agents.updatePerformance({ agentId: 'r-1', tasksCompleted: 1, successRate: 1, avgLatencyMs: 1 }),
    ).rejects.toThrow('not active');
    expect(agents.store.version('r-1')).toBe(2);
  });
});
