import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcmRetryPolicy } from '../../../examples/task-platform/notify/fcm-client.js';
import { isTransientSmtpError, smtpRetryPolicy } from '../../../examples/task-platform/notify/mailer.js';
import { notificationsOf } from '../../../examples/task-platform/notify/notifications-repository.js';
import { type Platform, startPlatform } from '../../../examples/task-platform/platform.js';
import { memoryBroker, memoryTransport, nextDelay } from '../../../src/index.js';
import { call, fromNow, probe, reasonOf, token, until } from './helpers.js';

describe('task platform: Notification Service failure handling (the seed tables)', () => {
  const broker = memoryBroker();
  let platform: Platform;
  let watcher: Awaited<ReturnType<typeof probe>>;
  let user: string;
  let jwt: string;

  beforeAll(async () => {
    platform = await startPlatform({
      transport: () => memoryTransport({ broker }),
      api: { outboxPollMs: 50 },
      notifications: { redeliveryDelay: 20, outboxPollMs: 50 },
      delivery: { smtpRetryDelayMs: 20, fcmRetryDelayMs: 10 },
    });
    watcher = await probe(
      memoryTransport({ broker }),
      [platform.topics.reminders, platform.topics.notifications],
      [platform.topics.remindersDlq],
    );
    user = 'nora';
    jwt = await token(user, { email: 'nora@example.com' });
    await call(platform.api.url, 'PUT', `/api/v1/users/${user}/devices/fcm-token`, {
      token: jwt,
      body: { token: 'fcm-nora' },
    });
  });

  afterAll(async () => {
    await watcher?.close();
    await platform?.close();
  });

  /** Creates a task with a reminder due now, ticks the scheduler, returns the reminder's id. */
  async function dueReminder(channels: ('email' | 'push')[]): Promise<string> {
    const created = await call(platform.api.url, 'POST', `/api/v1/users/${user}/tasks`, {
      token: jwt,
      body: {
        title: 'Renew passport',
        due_at: fromNow(60_000),
        reminders: [{ minutes_before: 5, channels }],
      },
    });
    expect(created.status).toBe(201);
    await platform.api.scheduler.tick();
    const seen = watcher.seen[platform.topics.reminders]!.envelopes;
    await until(
      () => seen.some((e) => (e.data as { task_id: string }).task_id === created.body.id),
      'reminder',
    );
    return (
      seen.find((e) => (e.data as { task_id: string }).task_id === created.body.id)!.data as {
        reminder_id: string;
      }
    ).reminder_id;
  }
  const events = (reminderId: string) =>
    watcher.seen[platform.topics.notifications]!.envelopes.filter(
      (e) => (e.data as { reminder_id: string }).reminder_id === reminderId,
    );
  const mailsTo = (reminderId: string) =>
    platform.delivery.sink.messages.filter((m) => m.headers['x-reminder-id'] === reminderId);

  it('uses the seed policies by default: SMTP 2 retries at 5 s and 10 s, FCM 3 retries at 1 s, 2 s, 4 s', () => {
    const smtp = smtpRetryPolicy();
    expect(smtp.maxAttempts).toBe(3);
    expect([1, 2].map((n) => nextDelay(smtp.backoff, n, 0))).toEqual([5000, 10_000]);
    const fcm = fcmRetryPolicy();
    expect(fcm.maxAttempts).toBe(4);
    expect([1, 2, 3].map((n) => nextDelay(fcm.backoff, n, 0))).toEqual([1000, 2000, 4000]);
    expect(isTransientSmtpError({ code: 'EPROTOCOL', responseCode: 421 })).toBe(true);
    expect(isTransientSmtpError({ code: 'ESOCKET' })).toBe(true);
    expect(isTransientSmtpError({ code: 'EAUTH', responseCode: 535 })).toBe(false);
    expect(isTransientSmtpError({ code: 'EENVELOPE', responseCode: 550 })).toBe(false);
  });

  it('records an SMTP outage longer than the retries as failed, publishes notification.failed.v1 and acknowledges', async () => {
    platform.delivery.sink.setAvailable(false);
    try {
      const reminderId = await dueReminder(['email']);
      await until(() => events(reminderId).length === 1, 'notification.failed.v1');
      const [event] = events(reminderId);
      expect(event!.type).toBe('notification.failed.v1');
      expect(event!.data).toMatchObject({ channel: 'email', status: 'failed', attempts: 3 });
      expect((event!.data as { error: string }).error).toContain('421');
      const records = await notificationsOf(platform.db.sql, reminderId);
      expect(records).toMatchObject([{ channel: 'email', status: 'failed', attempts: 3 }]);
      expect(mailsTo(reminderId)).toHaveLength(0);
    } finally {
      platform.delivery.sink.setAvailable(true);
    }
    expect(watcher.seen[platform.topics.remindersDlq]!.raw).toHaveLength(0);
  });

  it('records an expired FCM token as failed with "FCM token expired" and still sends the email', async () => {
    platform.delivery.fcm.expire('fcm-nora');
    const reminderId = await dueReminder(['email', 'push']);
    await until(() => events(reminderId).length === 2, 'two notification events');
    const byChannel = Object.fromEntries(
      events(reminderId).map((e) => [(e.data as { channel: string }).channel, e]),
    );
    expect(byChannel.email!.type).toBe('notification.sent.v1');
    expect(byChannel.push!.type).toBe('notification.failed.v1');
    expect(byChannel.push!.data).toMatchObject({ status: 'failed', error: 'FCM token expired', attempts: 1 });
    const records = await notificationsOf(platform.db.sql, reminderId);
    expect(records.find((r) => r.channel === 'push')).toMatchObject({
      status: 'failed',
      error: 'FCM token expired',
    });
    await call(platform.api.url, 'PUT', `/api/v1/users/${user}/devices/fcm-token`, {
      token: jwt,
      body: { token: 'fcm-nora-2' },
    });
  });

  it('dead-letters to reminders-dlq when FCM stays unavailable through its retries; a replay sends only the push', async () => {
    const fcm = platform.delivery.fcm;
    const before = fcm.unavailableAnswers;
    fcm.setAvailable(false);
    const dlq = watcher.seen[platform.topics.remindersDlq]!.raw;
    let reminderId: string;
    try {
      reminderId = await dueReminder(['email', 'push']);
      await until(() => dlq.some((m) => m.body.includes(reminderId)), 'the dead letter');
    } finally {
      fcm.setAvailable(true);
    }
    const letter = dlq.find((m) => m.body.includes(reminderId))!;
    expect(reasonOf(letter)).toBe('permanent-error');
    expect(letter.headers['dlq-error-message']).toBe('FCM unavailable after 3 retries');
    expect(fcm.unavailableAnswers - before).toBe(4);
    expect(mailsTo(reminderId)).toHaveLength(1);
    expect(events(reminderId).map((e) => e.type)).toEqual(['notification.sent.v1']);

    // Once FCM is back, the operator replays the dead letter: the push goes, the email is not sent again.
    const replayed = await platform.notifications.bus.replayDeadLetters({
      from: platform.topics.remindersDlq,
      idleMs: 200,
    });
    expect(replayed).toBe(1);
    await until(() => events(reminderId).length === 2, 'the push after the replay');
    expect(events(reminderId).map((e) => e.type)).toEqual(['notification.sent.v1', 'notification.sent.v1']);
    expect(mailsTo(reminderId)).toHaveLength(1);
    expect(fcm.pushes.filter((p) => p.data.reminder_id === reminderId)).toHaveLength(1);
  });

  it('serves /health and /metrics of every service in the seed shape', async () => {
    for (const url of [platform.api.url, platform.notifications.opsUrl!, platform.recurring.opsUrl!]) {
      const health = await call(url, 'GET', '/health');
      expect(health.status, url).toBe(200);
      expect(health.body).toMatchObject({ status: 'healthy', version: '5.0.0' });
      expect(health.body.dependencies).toMatchObject({ database: 'healthy', memory: 'healthy' });
    }
    const ops = await call(platform.notifications.opsUrl!, 'GET', '/health');
    expect(ops.body.dependencies.idempotency).toBe('healthy');
    const metrics = await (await fetch(`${platform.notifications.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/notifications_total\{[^}]*channel="email"[^}]*status="sent"/);
    expect(metrics).toContain('messaging_client_consumed_messages');
  });
});
