/**
 * The project's nats-server harness: finds the server that usually answers on 127.0.0.1:4222, or starts our own
 * `nats-server -js` on a free port with its own store directory, and stops it by pid. Installs the Debian package
 * `nats-server` with apt-get when the binary is missing. Used by the `nats` vitest project, the restart tests and
 * the benchmark; not part of the published library.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The address machines of this project usually have a nats-server on. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** A nats-server the harness found or started. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Whether the harness started it (and so must stop it). */
  readonly owned: boolean;
  /** Stops the server when the harness started it; a no-op otherwise. Idempotent. */
  stop(): Promise<void>;
}

/** A nats-server started by the harness that can be stopped and started again on the same port and store. */
export interface RestartableNatsServer extends NatsServerHandle {
  readonly port: number;
  /** JetStream store directory; removed by {@link stop}. */
  readonly storeDir: string;
  /** Pid of the running process, `undefined` while stopped. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) but keeps the store directory. */
  halt(): Promise<void>;
  /** Starts the process again on the same port and store directory; resolves once it accepts clients. */
  start(): Promise<void>;
  /** `halt()` then `start()`, optionally with a pause between them. */
  restart(options?: { downMs?: number }): Promise<void>;
  /**
   * Freezes the process (SIGSTOP) for `ms`, then lets it run on (SIGCONT): connections stay open but nothing
   * answers, the way a stuck server or a black-holed network looks to clients.
   */
  freeze(ms: number): Promise<void>;
}

/** Resolves whether something speaking the NATS protocol answers at `host:port` within `timeoutMs`. */
export function natsAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('data', (chunk) => finish(chunk.toString('latin1').startsWith('INFO')));
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

/** A TCP port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

const BINARY_CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

function whichNatsServer(): string | undefined {
  if (process.env.NATS_SERVER_BIN !== undefined && existsSync(process.env.NATS_SERVER_BIN)) {
    return process.env.NATS_SERVER_BIN;
  }
  try {
    const found = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
    if (found !== '') return found;
  } catch {
    // not on PATH; try the usual places below
  }
  return BINARY_CANDIDATES.find((candidate) => existsSync(candidate));
}

/**
 * Path of the nats-server binary; installs the Debian package `nats-server` with apt-get when it is missing
 * (as root, or through passwordless sudo). Throws when it cannot be found or installed.
 */
export function ensureNatsServerBinary(): string {
  const found = whichNatsServer();
  if (found !== undefined) return found;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const run = (args: string[]): void => {
    const [cmd, ...rest] = [...prefix, ...args];
    execFileSync(cmd as string, rest, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    run(['apt-get', 'install', '-y', '-q', 'nats-server']);
  } catch {
    run(['apt-get', 'update', '-q']);
    run(['apt-get', 'install', '-y', '-q', 'nats-server']);
  }
  const installed = whichNatsServer();
  if (installed === undefined)
    throw new Error('nats-server is still missing after apt-get install nats-server');
  return installed;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Options for {@link startNatsServer}. */
export interface StartNatsServerOptions {
  /** Port to listen on; default a free one. */
  readonly port?: number;
  /** JetStream store directory; default a fresh one under the system temp dir (removed by `stop()`). */
  readonly storeDir?: string;
  /** How long to wait for the server to accept clients. Default 20 s. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts our own `nats-server -js` on 127.0.0.1 and resolves once it accepts clients.
 *
 * @example
 * ```ts
 * const server = await startNatsServer();
 * try { await server.restart(); } finally { await server.stop(); }
 * ```
 */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<RestartableNatsServer> {
  const binary = ensureNatsServerBinary();
  const port = options.port ?? (await freePort());
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'switchboard-nats-'));
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    let died = false;
    void exited.then(() => {
      died = true;
      if (child === proc) child = undefined;
    });
    try {
      await waitUntil(
        async () => {
          if (died) throw new Error(`nats-server exited during start-up: ${output.trim()}`);
          return natsAnswers('127.0.0.1', port, 500);
        },
        readyTimeoutMs,
        `nats-server on port ${port}`,
      );
    } catch (error) {
      proc.kill('SIGKILL');
      throw error;
    }
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    const done = exited;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(killer);
    child = undefined;
  };

  await launch();
  const handle: RestartableNatsServer = {
    url: `nats://127.0.0.1:${port}`,
    owned: true,
    port,
    storeDir,
    get pid() {
      return child?.pid;
    },
    halt,
    async start() {
      if (stopped) throw new Error('this nats-server was stopped for good');
      if (child === undefined) await launch();
    },
    async restart(restartOptions = {}) {
      await halt();
      if (restartOptions.downMs !== undefined && restartOptions.downMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
      }
      await handle.start();
    },
    async freeze(ms: number) {
      const proc = child;
      if (proc === undefined) throw new Error('nats-server is not running');
      proc.kill('SIGSTOP');
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        proc.kill('SIGCONT');
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      if (ownStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Options for {@link findOrStartNatsServer}. */
export interface FindOrStartOptions {
  /** The address to try first. Default `NATS_URL` from the environment, else {@link DEFAULT_NATS_URL}. */
  readonly url?: string;
}

/**
 * Uses the nats-server that answers at `NATS_URL` (default 127.0.0.1:4222) when there is one, else starts our own.
 *
 * @example
 * ```ts
 * const server = await findOrStartNatsServer();
 * console.log(server.url);
 * await server.stop(); // stops it only when we started it
 * ```
 */
export async function findOrStartNatsServer(options: FindOrStartOptions = {}): Promise<NatsServerHandle> {
  const url = options.url ?? process.env.NATS_URL ?? DEFAULT_NATS_URL;
  const parsed = new URL(url.includes('://') ? url : `nats://${url}`);
  const port = Number(parsed.port || '4222');
  if (await natsAnswers(parsed.hostname, port)) {
    return { url: `nats://${parsed.hostname}:${port}`, owned: false, stop: async () => {} };
  }
  return startNatsServer();
}
