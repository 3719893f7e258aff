import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Platform, startPlatform } from '../../../examples/task-platform/platform.js';
import { platformTopics } from '../../../examples/task-platform/shared/events.js';
import { probe } from '../../examples/task-platform/helpers.js';
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
} from '../../examples/task-platform/scenarios.js';
import { skipWithout } from '../../support/broker-skip.js';
import { kafkaUnavailableReason, uniqueTopic } from '../../support/kafka-broker.js';
import { testTransport } from '../../support/kafka-transport.js';

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `task platform end to end on Kafka (PGlite storage) ${kafkaUnavailableReason}`,
  () => {
    const transport = () => testTransport();
    let platform: Platform;
    let ctx: ScenarioContext;

    beforeAll(async () => {
      platform = await startPlatform({
        transport,
        topics: platformTopics(`${uniqueTopic('tp')}-`),
        api: { outboxPollMs: 100 },
        recurring: { resiliency: { retryInitial: '20ms', retryMax: '100ms' }, redeliveryDelay: 50 },
        notifications: { redeliveryDelay: 50, outboxPollMs: 100 },
        delivery: { smtpRetryDelayMs: 20, fcmRetryDelayMs: 10 },
      });
      const { topics, raw } = watchedTopics(platform);
      ctx = { platform, watcher: await probe(transport(), topics, raw), transport, timeoutMs: 45_000 };
    });

    afterAll(async () => {
      await ctx?.watcher.close();
      await platform?.close();
    });

    it(
      'flow 1: a recurring task is saved and task.created.v1 published',
      () => flowCreateRecurringTask(ctx),
      60_000,
    );
    it(
      'flow 2 (the seed integration test): completing a recurring task creates the next occurrence',
      () => flowCompleteCreatesNextOccurrence(ctx),
      60_000,
    );
    it(
      'the seed contract test: Recurring Task Service -> Backend API create task',
      () => contractCreateTask(ctx),
      60_000,
    );
    it(
      'a duplicated task.completed.v1 creates one task',
      () => duplicateCompletionCreatesOneTask(ctx),
      60_000,
    );
    it(
      'a malformed event lands in task-events-dlq with its reason and the service keeps going',
      () => malformedEventIsDeadLettered(ctx),
      90_000,
    );
    it(
      'flow 3: a due reminder is sent by email and push and notification.sent.v1 published',
      () => flowReminderNotification(ctx),
      60_000,
    );
    it('an SMTP outage then recovery delivers each reminder once', () => smtpOutageThenRecovery(ctx), 60_000);
    it(
      'a malformed reminder lands in reminders-dlq with its reason and the service keeps going',
      () => malformedReminderIsDeadLettered(ctx),
      90_000,
    );
    it('auth and rate-limit headers answer as the seed says', () => authAnswersAsTheSeedSays(ctx));
  },
);
