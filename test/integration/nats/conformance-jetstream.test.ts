import { afterAll } from 'vitest';
import { runTransportConformance } from '../../../src/testing/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import { deleteStreams, natsUrl, uniqueStreamPrefix } from '../../support/nats-helpers.js';

const streamPrefix = uniqueStreamPrefix();

if (natsUrl !== '') {
  runTransportConformance({
    name: 'NATS transport, JetStream mode',
    create: () => natsTransport({ servers: natsUrl, streamPrefix }),
    skip: [
      {
        tests: ['reconnect'],
        reason:
          'runs in conformance-jetstream-restart.test.ts against a private nats-server the test can restart',
      },
    ],
  });
  afterAll(() => deleteStreams(streamPrefix));
}
