/**
 * What the `chaos` project's global setup hands its tests through `inject()`.
 *
 * @module
 */
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory of this run: the registry of spawned pids the teardown kills, scratch files of fixtures. */
    chaosRunDir: string;
    /** `postgres://<user>@127.0.0.1:5432/test`, or `''` when PostgreSQL is unreachable (never in CI). */
    chaosPostgresUrl: string;
    /** Why scenarios needing nats-server, redis-server or PostgreSQL cannot run (`''` when all are there). */
    chaosUnavailable: string;
    /** Why the Kafka scenarios cannot run: no Java or no broker jars (`''` when they can). */
    chaosKafkaUnavailable: string;
  }
}
