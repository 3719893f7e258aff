import { CONFORMANCE_TESTS, runTransportConformance } from '../../src/testing/index.js';
import { memoryBroker, memoryTransport } from '../../src/transport/memory/index.js';

// One broker for the file: scenarios use unique topic names, and two transports of one scenario (publisher and
// subscriber) must reach the same broker, as they would on a real one.
const broker = memoryBroker();

runTransportConformance({
  name: 'memory transport',
  create: () => memoryTransport({ broker }),
  skip: [{ tests: ['reconnect'], reason: 'the in-memory transport has no broker process to restart' }],
});

// The same suite on transports that each own a private broker, as most users create them.
runTransportConformance({
  name: 'memory transport (own broker)',
  create: () => memoryTransport(),
  skip: [{ tests: ['reconnect'], reason: 'the in-memory transport has no broker process to restart' }],
  // publisher-close-flushes needs a second transport on the same broker: the shared-broker run above has it.
  only: CONFORMANCE_TESTS.filter((name) => name !== 'publisher-close-flushes'),
});
