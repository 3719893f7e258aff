import { afterAll, it } from 'vitest';
import { natsTransport } from '../../../src/transport/nats/index.js';
import {
  deleteStreams,
  describeNats,
  natsUrl,
  uniqueName,
  uniqueStreamPrefix,
} from '../../support/nats-helpers.js';
import { structuredModeOverBroker } from '../shared/content-mode-scenario.js';

describeNats('bus contentMode structured over NATS', () => {
  const streamPrefix = uniqueStreamPrefix();
  afterAll(() => deleteStreams(streamPrefix));

  it('carries structured events in JetStream mode, read by a binary-mode consumer; bad ones dead-lettered', async () => {
    const topic = uniqueName('structured');
    await structuredModeOverBroker(
      () => natsTransport({ servers: natsUrl, streamPrefix, ackWaitMs: 2000, idleHeartbeatMs: 500 }),
      topic,
      `${topic}-dlq`,
    );
  }, 60_000);

  it('carries structured events in core mode', async () => {
    const topic = uniqueName('structured');
    await structuredModeOverBroker(
      () => natsTransport({ servers: natsUrl, mode: 'core' }),
      topic,
      `${topic}-dlq`,
    );
  }, 60_000);
});
