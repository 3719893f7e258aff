/**
 * The Switchboard demo, on the in-memory transport: a miniature of seed 002's task platform.
 *
 * It shows publishing by type over shared topics, an in-process retry that recovers, a poison message that goes
 * to the dead-letter topic with its reason, a duplicate that the idempotency store suppresses, request/reply with
 * a typed error, the wire form of an envelope, and the topology as a Markdown communication matrix.
 *
 * Run: `npm run demo`.
 */
import {
  createBus,
  createEnvelopeSerializer,
  DEAD_LETTER_HEADERS,
  isSwitchboardError,
  memoryBroker,
  memoryIdempotencyStore,
  memoryTransport,
  permanentError,
  SwitchboardError,
} from '../src/index.js';

interface TaskEvents {
  'task.created.v1': { taskId: string; userId: string; title: string };
  'task.completed.v1': { taskId: string; userId: string; recurring: boolean };
  'reminder.due.v1': { reminderId: string; userId: string; channel: 'email' | 'push' };
  'task.create.v1': { userId: string; title: string };
}

const routes = {
  'task.created.v1': 'task-events',
  'task.completed.v1': 'task-events',
  'reminder.due.v1': 'reminders',
  'task.create.v1': 'backend-api.commands',
};

const say = (text: string): void => console.log(`\n== ${text}`);
const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

// One in-process broker, one transport per service: the three services of seed 002 in one process.
const broker = memoryBroker();
const api = createBus<TaskEvents>({ transport: memoryTransport({ broker }), source: 'backend-api', routes });
const notifications = createBus<TaskEvents>({
  transport: memoryTransport({ broker }),
  source: 'notification-service',
  routes,
  idempotency: memoryIdempotencyStore(),
});
const recurring = createBus<TaskEvents>({
  transport: memoryTransport({ broker }),
  source: 'recurring-task-service',
  routes,
});

// Backend API answers task-creation requests (the seed's service invocation) and publishes task events.
let nextTask = 100;
await api.respond('task.create.v1', async (request) => {
  if (request.data.title.length > 500)
    throw new SwitchboardError('SWB_ENVELOPE_INVALID', 'title must be 1-500 characters');
  const taskId = `task-${nextTask++}`;
  await api.publish(
    'task.created.v1',
    { taskId, userId: request.data.userId, title: request.data.title },
    { key: taskId },
  );
  return { taskId };
});

// Notification service: SMTP fails twice, then works; an invalid channel is poison.
let smtpFailures = 2;
await notifications.subscribe(
  'reminder.due.v1',
  async (event, { retryAttempt }) => {
    if (event.data.channel !== 'email' && event.data.channel !== 'push')
      throw permanentError('unknown channel');
    if (smtpFailures-- > 0) throw new Error(`SMTP 421 try again later (retry ${retryAttempt})`);
    console.log(
      `   sent ${event.data.channel} for ${event.data.reminderId} (after ${retryAttempt} in-process retries)`,
    );
  },
  { retry: { maxAttempts: 3, initialDelay: 5 }, idempotency: true, maxDeliveries: 3 },
);
await notifications.subscribe('task.completed.v1', () => {}, { group: 'notification-service.audit' });

// Recurring task service: a completed recurring task creates the next one through the API.
await recurring.subscribe('task.completed.v1', async (event, { signal }) => {
  if (!event.data.recurring) return;
  const next = await recurring.request(
    'task.create.v1',
    { userId: event.data.userId, title: 'Water plants (next)' },
    { timeoutMs: 2000, signal },
  );
  console.log(`   next occurrence of ${event.data.taskId} created as ${(next as { taskId: string }).taskId}`);
});

// A dead-letter reader, as an operator's tool would be.
await notifications.transport.subscribe(
  'reminders.dlq',
  async (delivery) => {
    const h = delivery.message.headers;
    console.log(
      `   dead letter: reason=${h[DEAD_LETTER_HEADERS.reason]} code=${h[DEAD_LETTER_HEADERS.errorCode]} message="${h[DEAD_LETTER_HEADERS.errorMessage]}" attempts=${h[DEAD_LETTER_HEADERS.attempts]}`,
    );
    await delivery.ack();
  },
  { group: 'ops' },
);

say('request/reply: create a task through the Backend API');
const created = await recurring.request('task.create.v1', { userId: 'u-1', title: 'Water plants' });
console.log('   reply:', created);

say('publish: a reminder whose SMTP send fails twice and then succeeds (in-process retry)');
const reminder = await api.publish(
  'reminder.due.v1',
  { reminderId: 'rem-1', userId: 'u-1', channel: 'email' },
  { key: 'u-1' },
);
await settle();

say('deduplication: the same reminder published again (same id) is not sent twice');
let duplicates = 0;
notifications.events.on('duplicate', () => duplicates++);
await api.publish(
  'reminder.due.v1',
  { reminderId: 'rem-1', userId: 'u-1', channel: 'email' },
  { key: 'u-1', id: reminder.envelope.id },
);
await settle();
console.log(`   duplicates suppressed: ${duplicates}`);

say('dead-lettering: a poison reminder goes to reminders.dlq with its reason, the consumer keeps going');
await api.publish(
  'reminder.due.v1',
  { reminderId: 'rem-2', userId: 'u-2', channel: 'pigeon' as 'email' },
  { key: 'u-2' },
);
await api.publish('reminder.due.v1', { reminderId: 'rem-3', userId: 'u-2', channel: 'push' }, { key: 'u-2' });
await settle();

say('choreography: completing a recurring task creates the next occurrence');
await api.publish(
  'task.completed.v1',
  { taskId: 'task-100', userId: 'u-1', recurring: true },
  { key: 'task-100' },
);
await settle(100);

say('typed errors travel back over request/reply');
try {
  await recurring.request('task.create.v1', { userId: 'u-1', title: 'x'.repeat(501) });
} catch (error) {
  console.log(
    `   rejected: ${isSwitchboardError(error) ? error.code : 'unknown'}: ${(error as Error).message}`,
  );
}

say('the wire: a task event in the Kafka binding (binary mode)');
const wire = createEnvelopeSerializer({ style: 'kafka' }).encode(reminder.envelope);
for (const [name, value] of Object.entries(wire.headers)) console.log(`   ${name}: ${value}`);
console.log(`   key: ${wire.key}  body: ${new TextDecoder().decode(wire.body)}`);

say('topology (Markdown communication matrix, as in seed 002)');
const { createTopology } = await import('../src/index.js');
const all = createTopology('memory', [
  ...api.topology().edges,
  ...notifications.topology().edges,
  ...recurring.topology().edges,
]);
console.log(all.toMarkdown());

say('health');
console.log(JSON.stringify(await notifications.health(), null, 2));

await Promise.all([recurring.close(), notifications.close(), api.close()]);
