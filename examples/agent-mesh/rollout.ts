/**
 * A compatible schema change rolled out while messages flow: `agent_performance_updated` goes from v1 (1.0.0) to
 * v2 (1.1.0, an added field with a default) with a producer publishing all along and two consumers, one moved to
 * v2 early and one left on v1.
 *
 * 1. Every service learns the v2 schema (the registry refuses it unless it is fully compatible).
 * 2. The upgraded consumer moves to v2 first: it reads the v1 data still arriving, the new field at its default.
 * 3. The producer moves to v2: the consumer left on v1 reads v2 data, the new field skipped.
 *
 * No message is dead-lettered or lost along the way.
 *
 * @module
 */
import { type Bus, createBus, type Envelope, type SchemaRegistry, type Transport } from '../../src/index.js';
import type { AgentEventPayloads } from './agents/agent.js';
import { PERFORMANCE_V1, PERFORMANCE_V2, pinnedRegistry, registerPerformanceV2 } from './schemas.js';
import { meshRouter } from './topics.js';

type Performance = AgentEventPayloads['agent_performance_updated'];

const TYPE = 'agent_performance_updated';

/** What each side saw. */
export interface RolloutReport {
  /** Messages published, by the schema version they were written with. */
  readonly published: { readonly v1: number; readonly v2: number };
  /** What the consumer moved to v2 received, in order. */
  readonly upgraded: readonly Envelope<Performance>[];
  /** What the consumer left on v1 received, in order. */
  readonly legacy: readonly Envelope<Performance>[];
  /** Dead letters on any of the three buses (expected: none). */
  readonly deadLetters: number;
}

/** Options of {@link rollOutPerformanceV2}. */
export interface RolloutOptions {
  /** A transport per service, on one broker. */
  readonly transport: () => Transport;
  /** The shared registry, with v1 registered and v2 not yet. */
  readonly registry: SchemaRegistry;
  /** Messages per phase. Default 40. */
  readonly perPhase?: number;
  /** Topic prefix. */
  readonly prefix?: string;
  /** Agents the samples are spread over (the key). Default 4. */
  readonly agents?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/**
 * Runs the rollout and reports what every side saw.
 *
 * @example
 * ```ts
 * const broker = memoryBroker();
 * const report = await rollOutPerformanceV2({ transport: () => memoryTransport({ broker }), registry: meshRegistry() });
 * ```
 */
export async function rollOutPerformanceV2(options: RolloutOptions): Promise<RolloutReport> {
  const { registry } = options;
  const perPhase = options.perPhase ?? 40;
  const agents = options.agents ?? 4;
  const log = options.log ?? (() => {});
  const routes = meshRouter(options.prefix);
  // Each service sees the registry through its own pins; all start on v1.
  const producerView = pinnedRegistry(registry, { [TYPE]: PERFORMANCE_V1 });
  const upgradedView = pinnedRegistry(registry, { [TYPE]: PERFORMANCE_V1 });
  const legacyView = pinnedRegistry(registry, { [TYPE]: PERFORMANCE_V1 });
  const bus = (source: string, view: SchemaRegistry): Bus =>
    createBus({ transport: options.transport(), source, routes, registry: view, serialization: 'always' });
  const producer = bus('performance-metrics-system', producerView);
  const upgradedBus = bus('mesh-dashboard', upgradedView);
  const legacyBus = bus('legacy-analytics', legacyView);
  const buses = [producer, upgradedBus, legacyBus];
  let deadLetters = 0;
  for (const b of buses) b.events.on('dead-lettered', () => deadLetters++);
  const upgraded: Envelope<Performance>[] = [];
  const legacy: Envelope<Performance>[] = [];
  const published = { v1: 0, v2: 0 };
  try {
    await upgradedBus.subscribe(TYPE, (e) => void upgraded.push(e as Envelope<Performance>), {
      startFrom: 'earliest',
    });
    await legacyBus.subscribe(TYPE, (e) => void legacy.push(e as Envelope<Performance>), {
      startFrom: 'earliest',
    });
    let sample = 0;
    const publishPhase = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++, sample++) {
        const version = producerView.pinned(TYPE);
        const data: Performance = {
          agentId: `agent-${sample % agents}`,
          tasksCompleted: sample,
          successRate: 0.95,
          avgLatencyMs: 20 + (sample % 7),
          // Only a v2 writer has the field; a v1 writer's schema has no place for it.
          ...(version === PERFORMANCE_V2 ? { p99LatencyMs: 80 + (sample % 11) } : {}),
        };
        await producer.publish(TYPE, data, { key: data.agentId });
        if (version === PERFORMANCE_V2) published.v2++;
        else published.v1++;
      }
    };
    log(`v1 everywhere: publishing ${perPhase} samples`);
    await publishPhase(perPhase);
    registerPerformanceV2(registry);
    log('v2 registered (fully compatible with v1); the dashboard moves to v2 while v1 data keeps coming');
    upgradedView.pin(TYPE, PERFORMANCE_V2);
    await publishPhase(perPhase);
    log('the producer moves to v2; legacy analytics stays on v1');
    producerView.pin(TYPE, PERFORMANCE_V2);
    await publishPhase(perPhase);
    const total = published.v1 + published.v2;
    await waitUntil(() => upgraded.length >= total && legacy.length >= total, 30_000);
    log(
      `done: ${published.v1} v1 and ${published.v2} v2 samples; dashboard got ${upgraded.length}, ` +
        `legacy got ${legacy.length}, ${deadLetters} dead letters`,
    );
    return { published, upgraded, legacy, deadLetters };
  } finally {
    await Promise.all(buses.map((b) => b.close()));
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('rollout: consumers did not catch up in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
