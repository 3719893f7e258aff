// What the `nats` project's global setup hands its tests through `inject()`.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Address of the nats-server for the `nats` project, or `''` when none could be found or started. */
    natsUrl: string;
  }
}

export {};
