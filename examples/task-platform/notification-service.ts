/**
 * The Notification Service of seed 002: consumes `reminder.due.v1` from `reminders`, de-duplicates by event id in
 * its event log, sends the email over SMTP (nodemailer) and the push through FCM's HTTP v1 API with the seed's
 * retries and timeouts, records each notification, and publishes `notification.sent.v1` or
 * `notification.failed.v1` to `notifications` through its outbox. Invalid events go to `reminders-dlq`.
 *
 * Run alone: `TRANSPORT=nats DATABASE_URL=postgres://... SMTP_HOST=... FCM_URL=... tsx
 * examples/task-platform/notification-service.ts` (without SMTP_HOST / FCM_URL it starts the local SMTP sink
 * and FCM stand-in).
 *
 * @module
 */
import { type Envelope, permanentError } from '../../src/index.js';
import { envNumber, isMain } from '../shared/process.js';
import { type FcmOptions, fcmClient } from './notify/fcm-client.js';
import { type FcmStub, type StubPush, startFcmStub } from './notify/fcm-stub.js';
import { createMailer, type MailerOptions, type MailOutcome } from './notify/mailer.js';
import { recordedChannels, recordNotification } from './notify/notifications-repository.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from './notify/smtp-sink.js';
import { type Channel, type ReminderDueEvent, reminderProblems } from './shared/events.js';
import { runServiceProcess } from './shared/service-process.js';
import {
  type ConsumerService,
  type ConsumerServiceOptions,
  startServiceRuntime,
} from './shared/service-runtime.js';

/** This service's name: its bus source, consumer group and event-log consumer. */
export const NOTIFICATION_APP_ID = 'notification-service';

/** Options of {@link startNotificationService}. */
export interface NotificationServiceOptions extends ConsumerServiceOptions {
  /** SMTP server and policy (the seed's 2 retries at 5 s and 10 s, 30 s timeout, unless changed). */
  readonly smtp: MailerOptions;
  /** FCM endpoint and policy (the seed's 3 retries at 1 s, 2 s, 4 s, 10 s timeout, unless changed). */
  readonly fcm: FcmOptions;
  readonly outboxPollMs?: number;
}

/** A running Notification Service. */
export type NotificationService = ConsumerService;

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

interface ChannelResult {
  readonly status: 'sent' | 'failed';
  readonly attempts: number;
  readonly recipient: string | null;
  readonly error: string | null;
}

/**
 * Starts the service. A failed event is redelivered 1 s later by default (the seed: "Kafka handles retry").
 *
 * @example
 * ```ts
 * const sink = await startSmtpSink();
 * const fcm = await startFcmStub({ serverKey: 'k' });
 * const notifications = await startNotificationService({
 *   transport: memoryTransport({ broker }), db,
 *   smtp: { host: sink.host, port: sink.port, from: 'tasks@example.com', ignoreTLS: true },
 *   fcm: { url: fcm.url, project: 'tasks', serverKey: 'k' },
 * });
 * ```
 */
export async function startNotificationService(
  options: NotificationServiceOptions,
): Promise<NotificationService> {
  const runtime = await startServiceRuntime({
    service: NOTIFICATION_APP_ID,
    transport: options.transport,
    db: options.db,
    topics: options.topics,
    logger: options.logger,
    eventLog: true,
    outbox: { table: 'notification_outbox', pollIntervalMs: options.outboxPollMs },
  });
  const { topics, logger, metrics, bus, outbox } = runtime;
  const mailer = createMailer(options.smtp);
  const fcm = fcmClient(options.fcm);
  const sent = metrics.counter('notifications', 'Notifications by channel and status');

  async function email(event: Envelope<ReminderDueEvent>): Promise<ChannelResult> {
    const data = event.data;
    if (typeof data.email !== 'string' || data.email === '') {
      return { status: 'failed', attempts: 0, recipient: null, error: 'no email address' };
    }
    const due = data.due_at === null ? '' : ` (due ${data.due_at})`;
    const outcome: MailOutcome = await mailer.send({
      to: data.email,
      subject: `Reminder: ${data.title}`,
      text: `Reminder: ${data.title}${due}`,
      html: `<p>Reminder: <strong>${escapeHtml(data.title)}</strong>${escapeHtml(due)}</p>`,
      headers: { 'X-Reminder-Id': data.reminder_id, 'X-Event-Id': event.id },
    });
    if (outcome.status === 'sent')
      return { status: 'sent', attempts: outcome.attempts, recipient: data.email, error: null };
    if (outcome.kind === 'auth') {
      logger.error({ reminder_id: data.reminder_id }, 'SMTP authentication failed: alert operations');
    } else if (outcome.kind === 'recipient') {
      logger.warn({ reminder_id: data.reminder_id }, 'SMTP rejected the recipient');
    } else {
      logger.warn(
        { reminder_id: data.reminder_id, attempts: outcome.attempts },
        'SMTP unreachable; recorded as failed',
      );
    }
    return {
      status: 'failed',
      attempts: outcome.attempts,
      recipient: data.email,
      error: outcome.error.slice(0, 500),
    };
  }

  async function push(event: Envelope<ReminderDueEvent>): Promise<ChannelResult> {
    const data = event.data;
    if (typeof data.fcm_token !== 'string' || data.fcm_token === '') {
      return { status: 'failed', attempts: 0, recipient: null, error: 'no FCM token' };
    }
    let outcome: Awaited<ReturnType<typeof fcm.send>>;
    try {
      outcome = await fcm.send({
        token: data.fcm_token,
        title: 'Reminder',
        body: data.title,
        data: { reminder_id: data.reminder_id, task_id: data.task_id },
      });
    } catch (error) {
      // The seed: FCM unavailable -> retry 3 times with back-off, then acknowledge and move to the DLQ.
      throw permanentError('FCM unavailable after 3 retries', { cause: error });
    }
    if (outcome.status === 'expired') {
      return { status: 'failed', attempts: outcome.attempts, recipient: null, error: 'FCM token expired' };
    }
    return { status: 'sent', attempts: outcome.attempts, recipient: null, error: null };
  }

  async function record(
    event: Envelope<ReminderDueEvent>,
    channel: Channel,
    result: ChannelResult,
  ): Promise<void> {
    const data = event.data;
    await options.db.transaction(async (tx) => {
      const row = await recordNotification(tx, {
        event_id: event.id,
        reminder_id: data.reminder_id,
        task_id: data.task_id,
        user_id: data.user_id,
        channel,
        ...result,
      });
      if (row === undefined) return;
      const type = result.status === 'sent' ? 'notification.sent.v1' : 'notification.failed.v1';
      const payload = {
        notification_id: row.id,
        reminder_id: data.reminder_id,
        task_id: data.task_id,
        user_id: data.user_id,
        channel,
        status: result.status,
        attempts: result.attempts,
        ...(result.error === null ? {} : { error: result.error }),
      };
      await outbox.enqueue(tx, bus.prepare(type, payload, { key: data.user_id, causationId: event.id }));
    });
    void outbox.flush();
    sent.add(1, { channel, status: result.status });
  }

  await bus.subscribe(
    'reminder.due.v1',
    async (event) => {
      const problems = reminderProblems(event.data);
      if (problems.length > 0) {
        throw permanentError(`invalid reminder.due.v1: missing or invalid ${problems.join(', ')}`);
      }
      // A replay (from the DLQ, or after a crash between send and commit) skips what was handled already.
      const done = await recordedChannels(options.db.sql, event.id);
      for (const channel of event.data.channels) {
        if (done.has(channel)) continue;
        const result = channel === 'email' ? await email(event) : await push(event);
        await record(event, channel, result);
      }
    },
    {
      idempotency: true,
      maxDeliveries: options.maxDeliveries ?? 4,
      redeliveryDelay: options.redeliveryDelay ?? 1000,
      deadLetter: { topic: topics.remindersDlq },
      // A run may take 3 SMTP attempts of 30 s and 4 FCM attempts of 10 s with their back-off.
      idempotencyLeaseMs: 5 * 60_000,
    },
  );

  const opsUrl = await runtime.startOps(options.opsPort);
  let closing: Promise<void> | undefined;
  return {
    bus,
    opsUrl,
    close() {
      closing ??= (async () => {
        await runtime.close();
        mailer.close();
      })();
      return closing;
    },
  };
}

/** The local SMTP sink and FCM stand-in of a default run. */
export interface LocalDeliveryEndpoints {
  readonly sink: SmtpSink;
  readonly fcm: FcmStub;
  readonly smtp: MailerOptions;
  readonly fcmOptions: FcmOptions;
  close(): Promise<void>;
}

/**
 * Starts the SMTP sink and the FCM stand-in on free ports and returns the options that point at them.
 *
 * @example
 * ```ts
 * const local = await startLocalDeliveryEndpoints();
 * await startNotificationService({ transport, db, smtp: local.smtp, fcm: local.fcmOptions });
 * ```
 */
export async function startLocalDeliveryEndpoints(
  policy: {
    smtpRetryDelayMs?: number;
    fcmRetryDelayMs?: number;
    onMessage?: (message: SinkMessage) => void;
    onPush?: (push: StubPush) => void;
  } = {},
): Promise<LocalDeliveryEndpoints> {
  const sink = await startSmtpSink(policy.onMessage === undefined ? {} : { onMessage: policy.onMessage });
  const serverKey = 'local-fcm-server-key';
  const fcm = await startFcmStub({
    serverKey,
    ...(policy.onPush === undefined ? {} : { onPush: policy.onPush }),
  }).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  return {
    sink,
    fcm,
    smtp: {
      host: sink.host,
      port: sink.port,
      from: 'Task Platform <tasks@localhost>',
      ignoreTLS: true,
      ...(policy.smtpRetryDelayMs === undefined ? {} : { retryDelayMs: policy.smtpRetryDelayMs }),
    },
    fcmOptions: {
      url: fcm.url,
      project: 'task-platform',
      serverKey,
      ...(policy.fcmRetryDelayMs === undefined ? {} : { retryDelayMs: policy.fcmRetryDelayMs }),
    },
    async close() {
      await sink.close();
      await fcm.close();
    },
  };
}

if (isMain(import.meta.url)) {
  await runServiceProcess(NOTIFICATION_APP_ID, async ({ transport, db, topics, logger }) => {
    const local =
      process.env.SMTP_HOST === undefined || process.env.FCM_URL === undefined
        ? await startLocalDeliveryEndpoints()
        : undefined;
    const service = await startNotificationService({
      transport: transport(),
      db,
      topics,
      smtp:
        process.env.SMTP_HOST === undefined
          ? local!.smtp
          : {
              host: process.env.SMTP_HOST,
              port: envNumber('SMTP_PORT', 587),
              from: process.env.SMTP_FROM ?? 'tasks@example.com',
              user: process.env.SMTP_USER,
              password: process.env.SMTP_PASSWORD,
            },
      fcm:
        process.env.FCM_URL === undefined
          ? local!.fcmOptions
          : {
              url: process.env.FCM_URL,
              project: process.env.FCM_PROJECT ?? 'task-platform',
              serverKey: process.env.FCM_SERVER_KEY ?? '',
            },
      opsPort: envNumber('OPS_PORT', 8081),
      logger,
    });
    return {
      message: 'notification-service running',
      where: { ops: service.opsUrl },
      details:
        local === undefined
          ? {}
          : { smtp_sink: `${local.sink.host}:${local.sink.port}`, fcm_stub: local.fcm.url },
      async close() {
        await service.close();
        await local?.close();
      },
    };
  });
}
