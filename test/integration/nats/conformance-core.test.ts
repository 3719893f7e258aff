import { runTransportConformance } from '../../../src/testing/index.js';
import { natsTransport } from '../../../src/transport/nats/index.js';
import { natsUrl } from '../../support/nats-helpers.js';

const AT_MOST_ONCE =
  'core NATS keeps nothing: a delivery given back on close is gone, so no later subscriber can receive it (at-most-once)';

if (natsUrl !== '') {
  runTransportConformance({
    name: 'NATS transport, core mode',
    create: () => natsTransport({ servers: natsUrl, mode: 'core' }),
    skip: [
      {
        tests: ['drain-under-load', 'delivery-signal-aborted-on-close', 'subscription-abort'],
        reason: AT_MOST_ONCE,
      },
    ],
  });
}
