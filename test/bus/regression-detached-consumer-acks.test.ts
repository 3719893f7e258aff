import { expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { waitFor } from './wait-for.js';

// Regression: a delivery that reached the consumer after its last handler was removed (subscription closing)
// was acknowledged as "no handler" and so lost; found by the bus property test. It must be given back.
it('a delivery arriving while the last handler leaves is given back, not acknowledged', async () => {
  for (let round = 0; round < 30; round++) {
    const bus = createBus({
      transport: memoryTransport({ partitions: 3 }),
      source: 'svc',
      idempotency: memoryIdempotencyStore(),
    });
    const effects = new Set<string>();
    const ignored: string[] = [];
    bus.events.on('ignored', (e) => ignored.push(e.envelope.subject ?? ''));
    const handler = (e: { subject?: string | undefined }): void => void effects.add(e.subject ?? '');
    const options = { concurrency: 1, idempotency: true, idempotencyLeaseMs: 50 } as const;
    let sub = await bus.subscribe('work', handler, options);
    await bus.publish('work', { i: 0 }, { key: 'a', subject: 'm0' });
    await bus.publish('work', { i: 1 }, { key: 'a', subject: 'm1' });
    await sub.close({ graceMs: 0 });
    sub = await bus.subscribe('work', handler, options);
    await waitFor(() => effects.size === 2, 2000, `round ${round}: a message was lost`);
    expect(ignored).toEqual([]);
    await bus.close();
  }
});
