/**
 * Running a service as its own process: whether a module is the entry point, and shutting down on signals.
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

/**
 * Calls `stop` once on SIGINT or SIGTERM, then exits (code 1 if stopping failed).
 *
 * @example
 * ```ts
 * onShutdown(() => service.close());
 * ```
 */
export function onShutdown(stop: () => Promise<void>): void {
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
