import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  ensureKafkaJars,
  type KafkaBroker,
  kafkaLibsDir,
  startKafkaBroker,
} from '../../../scripts/kafka/broker.js';
import { ensureNatsServerBinary } from '../../../scripts/nats/server.js';
import { ensurePostgres } from '../../../scripts/stores/services.js';
import { killRegistered } from './processes.js';
import { KAFKA_ERROR_FILE, KAFKA_READY_FILE } from './run-files.js';
import './provided.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';

function hasBinary(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return result.error === undefined && result.status === 0;
}

/** Why the Kafka scenarios cannot run, or `''`: the jars are fetched (offline once cached) and Java must run. */
function kafkaUnavailable(): string {
  if (!hasBinary(process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java', ['-version']))
    return 'no Java runtime';
  try {
    ensureKafkaJars();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (!existsSync(kafkaLibsDir) || readdirSync(kafkaLibsDir).length === 0)
    return 'no Kafka jars in the cache';
  return '';
}

/**
 * Global setup of the `chaos` project. Each scenario starts the servers it kills (its own nats-server,
 * redis-server or Kafka broker) so faults never touch the machine's shared services; this setup checks that they
 * can be started, finds the shared PostgreSQL (side-effect tables and the event log live there, in tables of
 * their own), and makes the run directory where every spawned pid is registered. The teardown kills whatever a
 * failed scenario left running.
 *
 * With `CI=true` anything missing fails the run; elsewhere the scenarios that need it are skipped with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
  const runDir = mkdtempSync(join(tmpdir(), 'swb-chaos-'));
  const missing: string[] = [];
  let postgresUrl = '';
  try {
    postgresUrl = await ensurePostgres({ log });
  } catch (error) {
    missing.push(`no PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    ensureNatsServerBinary();
  } catch (error) {
    missing.push(`no nats-server: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!hasBinary('redis-server', ['--version'])) missing.push('no redis-server binary');
  const kafka = kafkaUnavailable();
  if (ci && (missing.length > 0 || kafka !== '')) {
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(
      `CI=true and the chaos suite cannot run: ${[...missing, kafka].filter(Boolean).join('; ')}`,
    );
  }
  for (const reason of [...missing, kafka]) if (reason !== '') log(`scenarios will skip: ${reason}`);
  project.provide('chaosRunDir', runDir);
  project.provide('chaosPostgresUrl', postgresUrl);
  project.provide('chaosUnavailable', missing.join('; '));
  project.provide('chaosKafkaUnavailable', kafka);
  // The Kafka broker starts in the background, while the first scenarios run: the Kafka scenarios wait for the
  // ready file (or fail on the error file), so a slow JVM start costs no wall time of its own.
  let broker: KafkaBroker | undefined;
  const starting =
    kafka === ''
      ? startKafkaBroker({ log }).then(
          (started) => {
            broker = started;
            writeFileSync(
              join(runDir, KAFKA_READY_FILE),
              JSON.stringify({ bootstrap: started.bootstrap, dir: started.dir }),
            );
          },
          (error: unknown) => {
            writeFileSync(
              join(runDir, KAFKA_ERROR_FILE),
              error instanceof Error ? error.message : String(error),
            );
          },
        )
      : Promise.resolve();
  return async () => {
    await starting;
    await broker?.destroy();
    const killed = killRegistered(runDir);
    if (killed > 0) log(`teardown killed ${killed} process(es) a scenario left running`);
    rmSync(runDir, { recursive: true, force: true });
  };
}
