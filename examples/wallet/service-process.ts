/**
 * One wallet service as its own process (the distributed deployment): configured from the environment, stopped on
 * SIGINT / SIGTERM or when the parent that spawned it goes away, and announcing itself with the ready line
 * {@link spawnWalletServices} waits for.
 *
 * @module
 */
import { isMain, onShutdown } from '../shared/process.js';
import type { WalletServiceName } from './contracts.js';
import { deploymentFromEnv, settingsFromEnv, type WalletDeployment, type WalletSettings } from './runtime.js';

/** What each service's `start...Service` function takes and returns, as far as running it goes. */
export type StartWalletService = (options: {
  readonly deployment: WalletDeployment;
  readonly settings: Partial<WalletSettings>;
}) => Promise<{ close(): Promise<void> }>;

/**
 * When the module at `moduleUrl` is the entry point: starts the service on the deployment and settings of the
 * environment (`TRANSPORT`, `NATS_URL`, `REDELIVERY_DELAY_MS`, ...), stops it on shutdown (and, with
 * `EXIT_WITH_PARENT=1`, when stdin closes), and prints `{"ready":"<service>","pid":...}`. Otherwise does nothing.
 *
 * @example
 * ```ts
 * await runWalletServiceProcess(import.meta.url, 'wallet', startWalletService);
 * ```
 */
export async function runWalletServiceProcess(
  moduleUrl: string,
  service: WalletServiceName,
  start: StartWalletService,
): Promise<void> {
  if (!isMain(moduleUrl)) return;
  const running = await start({
    deployment: deploymentFromEnv(process.env),
    settings: settingsFromEnv(process.env),
  });
  // Started by a parent that may die without stopping us (spawnWalletServices): its end closes our stdin.
  onShutdown(() => running.close(), { exitWithParent: process.env.EXIT_WITH_PARENT === '1' });
  console.log(JSON.stringify({ ready: service, pid: process.pid }));
}
