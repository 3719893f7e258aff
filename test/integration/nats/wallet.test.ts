import { afterAll, expect, it } from 'vitest';
import { connectWalletClient, type WalletClient } from '../../../examples/wallet/client.js';
import { startMonolith } from '../../../examples/wallet/monolith.js';
import { type ServiceProcesses, spawnWalletServices } from '../../../examples/wallet/processes.js';
import { natsDeployment, settingsToEnv } from '../../../examples/wallet/runtime.js';
import { runWalletScenario, type ScenarioResult } from '../../../examples/wallet/scenario.js';
import { expectScenarioOutcome, FAST_SETTINGS } from '../../examples/wallet/expected.js';
import {
  deleteStreams,
  describeNats,
  natsUrl,
  uniqueName,
  uniqueStreamPrefix,
} from '../../support/nats-helpers.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeNats(
  'wallet platform: the modular monolith and separate processes on NATS give the same results',
  () => {
    const streamPrefix = uniqueStreamPrefix();
    const topicPrefix = `${uniqueName('wallet')}-`;
    let services: ServiceProcesses | undefined;
    let client: WalletClient | undefined;

    afterAll(async () => {
      await client?.close();
      await services?.stop(5_000);
      await deleteStreams(streamPrefix);
    });

    it('runs the same scenario on both and ends with the same balances, ledger, dead letters and alerts', async () => {
      // 1. The monolith: three services in this process, one in-memory broker.
      const monolith = await startMonolith({ settings: FAST_SETTINGS });
      let local: ScenarioResult;
      const localClient = await connectWalletClient({ deployment: monolith.deployment });
      try {
        local = await runWalletScenario(localClient);
      } finally {
        await localClient.close();
        await monolith.close();
      }

      // 2. The same modules as three processes on NATS JetStream: only the environment differs.
      const output: string[] = [];
      services = await spawnWalletServices({
        env: {
          TRANSPORT: 'nats',
          NATS_URL: natsUrl,
          TOPIC_PREFIX: topicPrefix,
          STREAM_PREFIX: streamPrefix,
          ...settingsToEnv(FAST_SETTINGS),
        },
        onOutput: (service, line) => output.push(`${service}: ${line}`),
      });
      const pids = Object.values(services.pids);
      expect(new Set([...pids, process.pid]).size).toBe(4);
      client = await connectWalletClient({
        deployment: natsDeployment({ natsUrl, topicPrefix, streamPrefix }),
        requestTimeoutMs: 10_000,
      });
      const health = await client.health();
      expect(health.status, JSON.stringify(health)).toBe('healthy');
      expect(health.services.wallet).toMatchObject({ dependencies: { nats: 'healthy' } });
      const distributed = await runWalletScenario(client);

      expectScenarioOutcome(local);
      expect(distributed, output.join('\n')).toEqual(local);

      // Stopped by pid: each exits on SIGTERM after draining its bus.
      await services.stop(10_000);
      for (const pid of pids) expect(alive(pid)).toBe(false);
    }, 180_000);
  },
);
