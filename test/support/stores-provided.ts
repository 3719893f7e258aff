/**
 * What the `stores` project's global setup provides to its tests (`inject('redisUrl')`).
 *
 * @module
 */
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:6379` when Redis answers; empty when it could not be reached (never in CI). */
    redisUrl: string;
    /** `postgres://<user>@127.0.0.1:5432/test` when PostgreSQL answers; empty when it could not be reached. */
    postgresUrl: string;
    /** Why a server is missing, when one is. */
    storesUnavailableReason: string;
  }
}
