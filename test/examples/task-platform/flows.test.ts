import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Platform, startPlatform } from '../../../examples/task-platform/platform.js';
import { memoryBroker, memoryTransport } from '../../../src/index.js';
import { probe } from './helpers.js';
import {
  authAnswersAsTheSeedSays,
  contractCreateTask,
  duplicateCompletionCreatesOneTask,
  flowCompleteCreatesNextOccurrence,
  flowCreateRecurringTask,
  flowReminderNotification,
  malformedEventIsDeadLettered,
  malformedReminderIsDeadLettered,
  type ScenarioContext,
  smtpOutageThenRecovery,
  watchedTopics,
} from './scenarios.js';

describe('task platform end to end on the in-memory transport', () => {
  const broker = memoryBroker();
  const transport = () => memoryTransport({ broker });
  let platform: Platform;
  let ctx: ScenarioContext;

  beforeAll(async () => {
    platform = await startPlatform({
      transport,
      api: { outboxPollMs: 50 },
      recurring: { resiliency: { retryInitial: '10ms', retryMax: '50ms' }, redeliveryDelay: 20 },
      notifications: { redeliveryDelay: 20, outboxPollMs: 50 },
      delivery: { smtpRetryDelayMs: 20, fcmRetryDelayMs: 10 },
    });
    const { topics, raw } = watchedTopics(platform);
    const watcher = await probe(transport(), topics, raw);
    ctx = { platform, watcher, transport, timeoutMs: 10_000 };
  });

  afterAll(async () => {
    await ctx?.watcher.close();
    await platform?.close();
  });

  it('flow 1: a recurring task is saved and task.created.v1 published', () => flowCreateRecurringTask(ctx));
  it('flow 2 (the seed integration test): completing a recurring task creates the next occurrence', () =>
    flowCompleteCreatesNextOccurrence(ctx));
  it('the seed contract test: Recurring Task Service -> Backend API create task', () =>
    contractCreateTask(ctx));
  it('a duplicated task.completed.v1 creates one task', () => duplicateCompletionCreatesOneTask(ctx));
  it('a malformed event lands in task-events-dlq with its reason and the service keeps going', () =>
    malformedEventIsDeadLettered(ctx));
  it('flow 3: a due reminder is sent by email and push and notification.sent.v1 published', () =>
    flowReminderNotification(ctx));
  it('an SMTP outage then recovery delivers each reminder once', () => smtpOutageThenRecovery(ctx));
  it('a malformed reminder lands in reminders-dlq with its reason and the service keeps going', () =>
    malformedReminderIsDeadLettered(ctx));
  it('auth and rate-limit headers answer as the seed says', () => authAnswersAsTheSeedSays(ctx));
});
