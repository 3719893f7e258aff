import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SpawnAgentInput } from '../../../examples/agent-mesh/mesh/sagas.js';
import { type AgentMesh, startAgentMesh } from '../../../examples/agent-mesh/mesh.js';
import { type Envelope, memoryTransport } from '../../../src/index.js';
import type { SagaMessage } from '../../../src/saga/index.js';

const meshes: AgentMesh[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(meshes.splice(0).map((m) => m.close()));
});

async function mesh(): Promise<AgentMesh> {
  const m = await startAgentMesh({
    transport: memoryTransport(),
    http: false,
    capacity: { cpu: 8, memoryMb: 16_384 },
  });
  meshes.push(m);
  return m;
}

const agent = (agentId: string, capabilities: Record<string, number> = { search: 0.5 }): SpawnAgentInput => ({
  agentId,
  kind: 'worker',
  capabilities,
  cpu: 2,
  memoryMb: 2048,
});

/** The steps compensated, in the order their compensations ran, from the orchestrators' events. */
function compensations(m: AgentMesh): string[] {
  const undone: string[] = [];
  m.spawning.events.on('step.compensated', ({ step }) => undone.push(step));
  m.formation.events.on('step.compensated', ({ step }) => undone.push(step));
  return undone;
}

describe('agent mesh: agent_spawning_saga', () => {
  it('spawns an agent: resources reserved, agent_spawned in the stream and the read model, mesh member', async () => {
    const m = await mesh();
    const trail: Envelope<SagaMessage>[] = [];
    await m.bus.subscribeTopic('mesh_coordination', (e) => void trail.push(e as Envelope<SagaMessage>), {
      group: 'audit',
      startFrom: 'earliest',
    });
    const outcome = await m.spawning.run(agent('a-1'), { sagaId: 'spawn-a-1' });
    expect(outcome.status).toBe('completed');
    expect(outcome.completedSteps).toEqual([
      'reserve_resources',
      'initialize_agent_state',
      'register_with_mesh',
    ]);
    expect(m.resources.available().cpu).toBe(6);
    expect(m.network.isMember('a-1')).toBe(true);
    expect(m.agents.state('a-1').status).toBe('active');
    await vi.waitFor(() => expect(m.readModel.get('a-1')?.status).toBe('active'));
    await vi.waitFor(() => expect(trail.at(-1)?.type).toBe('saga.completed'));
    expect(trail.every((e) => e.correlationid === 'spawn-a-1' && e.partitionkey === 'spawn-a-1')).toBe(true);
    expect((await m.sagaStore.load('spawn-a-1'))?.status).toBe('completed');
  });

  it('a failing register_with_mesh compensates initialize_agent_state, then reserve_resources', async () => {
    const m = await mesh();
    const undone = compensations(m);
    m.network.inject('register', 'fail');
    const outcome = await m.spawning.run(agent('a-2'));
    expect(outcome.status).toBe('compensated');
    expect(outcome.failedStep).toBe('register_with_mesh');
    expect(undone).toEqual(['initialize_agent_state', 'reserve_resources']);
    expect(m.resources.available()).toEqual({ cpu: 8, memoryMb: 16_384 });
    expect(m.network.isMember('a-2')).toBe(false);
    // The stream is append-only: the undo is a terminating event.
    expect(m.agents.state('a-2')).toMatchObject({
      status: 'terminated',
      terminationReason: 'spawn_compensated',
    });
    await vi.waitFor(() => expect(m.readModel.get('a-2')?.status).toBe('terminated'));
  });

  it('a failing initialize_agent_state (the agent exists) compensates only reserve_resources', async () => {
    const m = await mesh();
    await m.spawning.run(agent('dup'));
    const undone = compensations(m);
    const outcome = await m.spawning.run(agent('dup'));
    expect(outcome.failedStep).toBe('initialize_agent_state');
    expect(undone).toEqual(['reserve_resources']);
    expect(m.resources.available().cpu).toBe(6);
    expect(m.agents.state('dup').status).toBe('active');
  });

  it('insufficient resources fail the first step: nothing to compensate', async () => {
    const m = await mesh();
    const outcome = await m.spawning.run({ ...agent('big'), cpu: 64 });
    expect(outcome).toMatchObject({
      status: 'compensated',
      failedStep: 'reserve_resources',
      compensated: [],
    });
    expect(outcome.error?.retryable).toBe(false);
  });

  it("register_with_mesh times out after the seed's 3 s and is compensated", async () => {
    const m = await mesh();
    const undone = compensations(m);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    m.network.inject('register', 'hang');
    const running = m.spawning.run(agent('slow'));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(undone).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const outcome = await running;
    expect(outcome.error?.code).toBe('SWB_TIMEOUT');
    expect(outcome.error?.details).toMatchObject({ step: 'register_with_mesh', timeoutMs: 3_000 });
    expect(undone).toEqual(['initialize_agent_state', 'reserve_resources']);
  });
});

describe('agent mesh: mesh_formation_saga', () => {
  it('forms a mesh of the agents and announces it', async () => {
    const m = await mesh();
    for (const [id, caps] of [
      ['p', { planning: 0.9, search: 0.3 }],
      ['s', { search: 0.9, planning: 0.1 }],
      ['c', { review: 0.5, search: 0.2 }],
    ] as const)
      await m.spawning.run(agent(id, caps));
    const formed: Envelope[] = [];
    await m.bus.subscribe('mesh_formed', (e) => void formed.push(e), { group: 'spy', startFrom: 'earliest' });
    const outcome = await m.formation.run({ meshId: 'm-1', agentIds: ['p', 's', 'c'], topology: 'ring' });
    expect(outcome.status).toBe('completed');
    expect(outcome.results.negotiate_capabilities).toEqual({ capabilities: ['search'] });
    expect(m.network.mesh('m-1')).toMatchObject({ phase: 'formed', connections: 3 });
    await vi.waitFor(() => expect(formed).toHaveLength(1));
    expect(formed[0]?.data).toEqual({
      meshId: 'm-1',
      agentIds: ['p', 's', 'c'],
      capabilities: ['search'],
      topology: 'ring',
    });
  });

  it('failing connections reset the negotiated capabilities', async () => {
    const m = await mesh();
    await m.spawning.run(agent('x'));
    await m.spawning.run(agent('y'));
    const undone = compensations(m);
    m.network.inject('connect', 'fail');
    const outcome = await m.formation.run({ meshId: 'm-2', agentIds: ['x', 'y'], topology: 'full' });
    expect(outcome).toMatchObject({ status: 'compensated', failedStep: 'establish_connections' });
    expect(undone).toEqual(['negotiate_capabilities']); // its compensation: reset_capabilities
    expect(m.network.mesh('m-2')).toBeUndefined();
  });

  it('a failing synchronize_state terminates the connections, then resets the capabilities', async () => {
    const m = await mesh();
    await m.spawning.run(agent('x'));
    await m.spawning.run(agent('y'));
    const undone = compensations(m);
    m.network.inject('synchronize', 'fail');
    const outcome = await m.formation.run({ meshId: 'm-3', agentIds: ['x', 'y'], topology: 'full' });
    expect(outcome.failedStep).toBe('synchronize_state');
    // terminate_connections, then reset_capabilities
    expect(undone).toEqual(['establish_connections', 'negotiate_capabilities']);
    expect(m.network.mesh('m-3')).toBeUndefined();
  });
});
