import type { TestProject } from 'vitest/node';
import { findOrStartNatsServer, type NatsServerHandle } from '../../scripts/nats/server.js';
import './nats-provided-context.js';

/**
 * Global setup of the `nats` test project: uses the nats-server at `NATS_URL` (default 127.0.0.1:4222) or starts
 * our own `nats-server -js`, and provides its address to the tests as `inject('natsUrl')`.
 *
 * Without a server the tests see `natsUrl === ''` and skip with that reason; with `CI=true` a server that can be
 * neither reached nor started fails the run instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: NatsServerHandle | undefined;
  try {
    server = await findOrStartNatsServer();
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error('CI=true and no nats-server could be reached or started', { cause: error });
    }
    console.warn(
      `nats tests will skip: no nats-server (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  project.provide('natsUrl', server?.url ?? '');
  return async () => {
    await server?.stop();
  };
}
