/**
 * Running an example service as its own process: whether a module is the entry point, shutting down on signals,
 * and numbers from the environment. Shared by the task platform's and the wallet's services.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';

/**
 * Whether the module at `moduleUrl` is the script node was started with (`tsx examples/task-platform/x.ts`).
 *
 * @example
 * ```ts
 * if (isMain(import.meta.url)) await main();
 * ```
 */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}

/** Options of {@link onShutdown}. */
export interface ShutdownOptions {
  /**
   * Also stop when stdin closes: for a child whose parent may die without stopping it (the parent's end closes
   * the child's stdin pipe). Default false.
   */
  readonly exitWithParent?: boolean;
}

/**
 * Calls `stop` once on SIGINT or SIGTERM (or, with `exitWithParent`, when stdin closes), then exits (code 1 if
 * stopping failed).
 *
 * @example
 * ```ts
 * onShutdown(() => service.close());
 * onShutdown(() => service.close(), { exitWithParent: process.env.EXIT_WITH_PARENT === '1' });
 * ```
 */
export function onShutdown(stop: () => Promise<void>, options: ShutdownOptions = {}): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  if (options.exitWithParent === true) {
    process.stdin.once('close', handler);
    process.stdin.resume();
  }
}

/**
 * A number from the environment, or `fallback` when unset.
 *
 * @example
 * ```ts
 * const port = envNumber('PORT', 8080);
 * ```
 */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number (got '${raw}')`);
  return value;
}
