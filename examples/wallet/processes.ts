/**
 * The distributed deployment (seed 003's phase 2): each service as its own Node process, started with tsx,
 * configured only through the environment.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WALLET_SERVICES, type WalletServiceName } from './contracts.js';

const ENTRY: Readonly<Record<WalletServiceName, string>> = {
  wallet: 'wallet-service.ts',
  transaction: 'transaction-service.ts',
  provider: 'provider-service.ts',
};

/** Options of {@link spawnWalletServices}. */
export interface SpawnOptions {
  /** Environment of the children, over this process's (`TRANSPORT`, `NATS_URL`, `TOPIC_PREFIX`, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** How long each may take to say it is ready. Default 60 s (tsx compiles on first start). */
  readonly readyTimeoutMs?: number;
  /** Receives the children's output lines. Default: dropped. */
  readonly onOutput?: (service: WalletServiceName, line: string) => void;
}

/** The running children. */
export interface ServiceProcesses {
  /** Process id of each service. */
  readonly pids: Readonly<Record<WalletServiceName, number>>;
  /** Sends SIGTERM to each child by pid and waits for it to exit (SIGKILL after `graceMs`, default 10 s). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the three services as child processes and resolves once each has printed its ready line.
 *
 * @example
 * ```ts
 * const services = await spawnWalletServices({ env: { TRANSPORT: 'nats', NATS_URL: 'nats://127.0.0.1:4222' } });
 * await services.stop();
 * ```
 */
export async function spawnWalletServices(options: SpawnOptions): Promise<ServiceProcesses> {
  const children = new Map<WalletServiceName, ChildProcess>();
  const stop = async (graceMs = 10_000): Promise<void> => {
    await Promise.all([...children.values()].map((child) => stopChild(child, graceMs)));
  };
  try {
    await Promise.all(
      WALLET_SERVICES.map(async (service) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(new URL(ENTRY[service], import.meta.url))],
          {
            cwd: fileURLToPath(new URL('../..', import.meta.url)),
            env: { ...process.env, ...options.env, EXIT_WITH_PARENT: '1' },
            // The child reads its stdin only to notice when this process is gone.
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        children.set(service, child);
        await waitReady(service, child, options.readyTimeoutMs ?? 60_000, options.onOutput);
      }),
    );
  } catch (error) {
    await stop(2_000);
    throw error;
  }
  const pids = Object.fromEntries([...children].map(([service, child]) => [service, child.pid!])) as Record<
    WalletServiceName,
    number
  >;
  return { pids, stop };
}

function waitReady(
  service: WalletServiceName,
  child: ChildProcess,
  timeoutMs: number,
  onOutput: SpawnOptions['onOutput'],
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`${service} not ready within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        onOutput?.(service, line);
        if (line.includes(`"ready":"${service}"`)) {
          clearTimeout(timer);
          resolve();
        }
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr = (stderr + text).slice(-4_000);
      for (const line of text.split('\n')) if (line !== '') onOutput?.(service, line);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited before it was ready (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => {
      if (child.pid !== undefined) signal(child.pid, 'SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    signal(child.pid!, 'SIGTERM');
  });
}

// The child may have exited between the check and the signal.
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
