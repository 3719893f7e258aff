import { afterAll, beforeAll } from 'vitest';
import { type RestartableNatsServer, startNatsServer } from '../../../scripts/nats/server.js';
import { runTransportConformance } from '../../../src/testing/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import { natsUrl } from '../../support/nats-helpers.js';

// The reconnect scenario restarts the broker twice while 10 000 messages flow: it gets a nats-server of its own
// (free port, own store directory) so the shared one is never restarted.
let server: RestartableNatsServer | undefined;

if (natsUrl !== '') {
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  runTransportConformance({
    name: 'NATS transport, JetStream mode, broker restarts',
    create: () => {
      if (server === undefined) throw new Error('the private nats-server did not start');
      return natsTransport({
        servers: server.url,
        reconnectTimeWait: 100,
        idleHeartbeatMs: 1000,
        pullExpiresMs: 5000,
      });
    },
    features: { restartable: true },
    restart: async () => {
      await server?.restart({ downMs: 500 });
    },
    // The other scenarios run against the shared server in conformance-jetstream.test.ts.
    only: ['reconnect'],
  });
}
