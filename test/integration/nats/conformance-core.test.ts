import { CONFORMANCE_TESTS, runTransportConformance } from '../../../src/testing/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import { natsUrl } from '../../support/nats-helpers.js';

// Core NATS keeps nothing: a delivery given back on close is gone, so no later subscriber can receive it
// (at-most-once). The three scenarios that expect such a delivery again are left out; core.test.ts checks what
// core mode does instead (the delivery is aborted and never redelivered).
const REDELIVER_AFTER_CLOSE = ['drain-under-load', 'delivery-signal-aborted-on-close', 'subscription-abort'];

if (natsUrl !== '') {
  runTransportConformance({
    name: 'NATS transport, core mode',
    create: () => natsTransport({ servers: natsUrl, mode: 'core' }),
    only: CONFORMANCE_TESTS.filter((name) => !REDELIVER_AFTER_CLOSE.includes(name)),
  });
}
