import type { TestProject } from 'vitest/node';
import { ensureKcat, startKafkaBroker } from '../../scripts/kafka/broker.js';
import './kafka-provided.js';

/**
 * Global setup of the `kafka` test project: starts one single-node KRaft broker (scripts/kafka/broker.ts) for the
 * whole run and provides its address and directory to the tests; the teardown stops it by pid and deletes its
 * directory, whatever the tests did to it (the reconnect scenario restarts it from a worker, which rewrites the pid
 * file the teardown reads).
 *
 * With `CI=true` a broker that cannot start fails the run. Elsewhere the tests are skipped with the reason, so a
 * machine without Java can still run the rest of the suite.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // The interop tests read and write with kcat; a fresh machine gets it here (a no-op once installed).
  ensureKcat();
  try {
    const broker = await startKafkaBroker({ log: (line) => process.stderr.write(`[kafka] ${line}\n`) });
    project.provide('kafkaBootstrap', broker.bootstrap);
    project.provide('kafkaBrokerDir', broker.dir);
    project.provide('kafkaUnavailableReason', '');
    return async () => {
      await broker.destroy();
      process.stderr.write(`[kafka] broker stopped after ${Math.round((Date.now() - started) / 1000)} s\n`);
    };
  } catch (error) {
    if (process.env.CI === 'true' || process.env.CI === '1') throw error;
    const reason = `no Kafka broker: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`[kafka] ${reason}\n`);
    project.provide('kafkaBootstrap', '');
    project.provide('kafkaBrokerDir', '');
    project.provide('kafkaUnavailableReason', reason);
    return async () => {};
  }
}
