import { afterAll } from 'vitest';
import { CONFORMANCE_TESTS, runTransportConformance } from '../../../src/testing/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import { deleteStreams, natsUrl, uniqueStreamPrefix } from '../../support/nats-helpers.js';

const streamPrefix = uniqueStreamPrefix();

if (natsUrl !== '') {
  runTransportConformance({
    name: 'NATS transport, JetStream mode',
    // JetStream redelivers what was never acknowledged after ack_wait. Deliveries are given back (nak) at once on
    // close, but a message still on its way in a pull when the subscription closes can miss that and wait out
    // ack_wait (seen once in concurrent-close on a loaded machine): a short ack_wait keeps that inside the
    // scenario's window; it is still a real redelivery by the broker, nothing is faked.
    create: () => natsTransport({ servers: natsUrl, streamPrefix, ackWaitMs: 5_000 }),
    // `reconnect` runs in conformance-jetstream-restart.test.ts against a private nats-server it can restart.
    only: CONFORMANCE_TESTS.filter((name) => name !== 'reconnect'),
  });
  afterAll(() => deleteStreams(streamPrefix));
}
