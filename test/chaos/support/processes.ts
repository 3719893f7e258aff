/**
 * Child processes of the chaos scenarios: every pid is written to the run's registry before anything else
 * happens, so the global teardown can kill what a failed or timed-out scenario left behind (only processes whose
 * command line still carries the marker they were registered with, so a recycled pid is never hit).
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const REGISTRY = 'pids';

/** Records `pid` in the registry of `runDir` with a string its command line contains. */
export function trackPid(runDir: string, pid: number, marker: string): void {
  appendFileSync(join(runDir, REGISTRY), `${pid}\t${marker}\n`);
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ');
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs and its command line contains `marker`. */
export function isAlive(pid: number, marker: string): boolean {
  const line = commandLine(pid);
  return line !== undefined && line !== '' && line.includes(marker);
}

/**
 * Kills (SIGCONT then SIGKILL) every registered process still alive; returns how many it had to kill. Frozen
 * (SIGSTOPped) processes get SIGCONT first so nothing is left stopped.
 */
export function killRegistered(runDir: string): number {
  let text: string;
  try {
    text = readFileSync(join(runDir, REGISTRY), 'utf8');
  } catch {
    return 0;
  }
  let killed = 0;
  for (const line of text.split('\n')) {
    const [pidText, marker] = line.split('\t');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0 || marker === undefined || !isAlive(pid, marker)) continue;
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A TypeScript fixture running in its own Node process (through tsx). */
export interface FixtureProcess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ChildExit>;
  /** Whether it is still running. */
  readonly running: boolean;
  /** Sends `signal` (if still running). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL and wait for the exit; a no-op once it exited. */
  kill(): Promise<ChildExit>;
  /** Its stderr so far (the last 8 KiB), for failure messages. */
  readonly stderr: string;
}

/**
 * Starts `node --import tsx <file>` with `env` added to this process's environment, and registers its pid.
 * Its stdout is discarded; fixtures report through files or databases, which survive a SIGKILL.
 */
export function spawnFixture(runDir: string, file: string, env: Record<string, string>): FixtureProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${file}`);
  const pid = child.pid;
  trackPid(runDir, pid, file);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8192);
  });
  let running = true;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  return {
    pid,
    exited,
    get running() {
      return running;
    },
    get stderr() {
      return stderr;
    },
    signal(signal) {
      if (running) child.kill(signal);
    },
    async kill() {
      if (running) child.kill('SIGKILL');
      return exited;
    },
  };
}
