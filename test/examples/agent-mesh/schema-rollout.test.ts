import { describe, expect, it } from 'vitest';
import { rollOutPerformanceV2 } from '../../../examples/agent-mesh/rollout.js';
import {
  AGENT_PERFORMANCE_UPDATED_V1,
  meshRegistry,
  PERFORMANCE_V1,
  PERFORMANCE_V2,
  pinnedRegistry,
} from '../../../examples/agent-mesh/schemas.js';
import { type Envelope, isSwitchboardError, memoryBroker, memoryTransport } from '../../../src/index.js';

/** Whether, per agent (the key), samples arrived in the order they were published. */
function inOrderPerKey(received: readonly Envelope<{ agentId: string; tasksCompleted: number }>[]): boolean {
  const last = new Map<string, number>();
  for (const { data } of received) {
    if ((last.get(data.agentId) ?? -1) >= data.tasksCompleted) return false;
    last.set(data.agentId, data.tasksCompleted);
  }
  return true;
}

describe('agent mesh: schema v1 -> v2 rolled out while messages flow', () => {
  it('a consumer on v2 reads v1 data, a consumer on v1 reads v2 data, nothing lost or dead-lettered', async () => {
    const broker = memoryBroker();
    const registry = meshRegistry();
    const lines: string[] = [];
    const report = await rollOutPerformanceV2({
      transport: () => memoryTransport({ broker }),
      registry,
      perPhase: 30,
      log: (line) => lines.push(line),
    });
    expect(report.published).toEqual({ v1: 60, v2: 30 });
    expect(report.deadLetters).toBe(0);
    expect(report.upgraded).toHaveLength(90);
    expect(report.legacy).toHaveLength(90);
    expect(registry.versions('agent_performance_updated')).toEqual([PERFORMANCE_V1, PERFORMANCE_V2]);

    // Avro on the wire for both versions, each message stamped with the version it was written with.
    const written = report.upgraded.map((e) => e.schemaversion);
    expect(written.filter((v) => v === PERFORMANCE_V1)).toHaveLength(60);
    expect(written.filter((v) => v === PERFORMANCE_V2)).toHaveLength(30);
    expect(new Set(report.legacy.map((e) => e.datacontenttype))).toEqual(new Set(['application/avro']));

    // The dashboard moved to v2 after the first 30 samples were published. Everything published after that
    // was decoded as v2: v1 data with the default (null), v2 data with its value. The first 30 were decoded as
    // v1 or, if still in flight at the switch, as v2 with the default.
    const afterSwitch = report.upgraded.filter((e) => e.data.tasksCompleted >= 30);
    expect(afterSwitch).toHaveLength(60);
    for (const e of afterSwitch) {
      expect(Object.hasOwn(e.data, 'p99LatencyMs')).toBe(true);
      if (e.schemaversion === PERFORMANCE_V1) expect(e.data.p99LatencyMs).toBeNull();
      else expect(e.data.p99LatencyMs).toBeGreaterThanOrEqual(80);
    }
    for (const e of report.upgraded.filter((e) => e.data.tasksCompleted < 30))
      expect(e.data.p99LatencyMs ?? null).toBeNull();
    // The v1 reader: v2 data with the new field skipped, the rest intact.
    for (const e of report.legacy) {
      expect(Object.hasOwn(e.data, 'p99LatencyMs')).toBe(false);
      expect(e.data.successRate).toBe(0.95);
    }
    expect(inOrderPerKey(report.upgraded)).toBe(true);
    expect(inOrderPerKey(report.legacy)).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it('an incompatible change is refused where it is registered', () => {
    const registry = meshRegistry({ withV2: true });
    const breaking = {
      ...AGENT_PERFORMANCE_UPDATED_V1,
      fields: [...AGENT_PERFORMANCE_UPDATED_V1.fields, { name: 'region', type: 'string' }], // no default
    };
    let caught: unknown;
    try {
      registry.register({
        type: 'agent_performance_updated',
        version: '1.2.0',
        format: 'avro',
        schema: breaking,
      });
    } catch (error) {
      caught = error;
    }
    expect(isSwitchboardError(caught, 'SWB_SCHEMA_INCOMPATIBLE')).toBe(true);
    expect(JSON.stringify((caught as { details?: unknown }).details)).toContain('region');
    expect(registry.versions('agent_performance_updated')).toEqual([PERFORMANCE_V1, PERFORMANCE_V2]);
  });

  it('a service can only pin a version the registry has', () => {
    const view = pinnedRegistry(meshRegistry());
    expect(view.pinned('agent_performance_updated')).toBe(PERFORMANCE_V1);
    expect(() => view.pin('agent_performance_updated', PERFORMANCE_V2)).toThrow(
      expect.objectContaining({ code: 'SWB_SCHEMA_NOT_FOUND' }),
    );
    expect(view.latest('agent_spawned')?.version).toBe('1.0.0');
  });
});
