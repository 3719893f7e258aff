/**
 * What the `kafka` project's global setup provides to its tests (`inject('kafkaBootstrap')`).
 *
 * @module
 */
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:<port>` of the broker the global setup started; empty when none could start (not in CI). */
    kafkaBootstrap: string;
    /** The broker's directory (pid file, ports, data): what a worker needs to restart it. Empty when none. */
    kafkaBrokerDir: string;
    /** Why there is no broker, when there is none. */
    kafkaUnavailableReason: string;
  }
}
