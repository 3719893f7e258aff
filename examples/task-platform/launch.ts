/**
 * `npm run example:tasks`: the whole task platform in one process on the in-memory transport with an embedded
 * PGlite database, a local SMTP sink and an FCM stand-in. Prints where the API listens, a development JWT and
 * sample requests; prints every email and push as it is delivered.
 *
 * Environment: `PORT` (API, default 8080; a free port if taken), `REMINDER_INTERVAL_MS` (default 300 000, the
 * seed's 5 minutes), `LOG_LEVEL` (default `warn`), `DATABASE_URL` (PostgreSQL instead of PGlite).
 *
 * @module
 */
import { memoryBroker, memoryTransport } from '../../src/index.js';
import { envNumber, onShutdown } from '../shared/process.js';
import { jwtKey, signUserToken } from './api/auth.js';
import { DEV_JWT_SECRET } from './backend-api.js';
import { type Platform, type PlatformOptions, startPlatform } from './platform.js';
import { jsonLogger, type LogLevel } from './shared/logger.js';

const broker = memoryBroker();
const level = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'warn';
const options = (port: number): PlatformOptions => ({
  transport: () => memoryTransport({ broker }),
  databaseUrl: process.env.DATABASE_URL,
  api: { port, reminderIntervalMs: envNumber('REMINDER_INTERVAL_MS', 300_000) },
  logger: (service) => jsonLogger(service, level),
  delivery: {
    onMessage: (mail) => console.log(`[smtp sink] email to ${mail.to.join(', ')}: ${mail.subject}`),
    onPush: (push) => console.log(`[fcm stub] push to ${push.token}: ${push.title}: ${push.body}`),
  },
});

let platform: Platform;
try {
  platform = await startPlatform(options(envNumber('PORT', 8080)));
} catch (error) {
  if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
  platform = await startPlatform(options(0));
}

const user = 'demo-user';
const token = await signUserToken(jwtKey(process.env.JWT_SECRET ?? DEV_JWT_SECRET), {
  sub: user,
  email: 'demo@example.com',
  name: 'Demo User',
});
const api = platform.api.url;
const tasks = `${api}/api/v1/users/${user}/tasks`;
const soon = new Date(Date.now() + 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

console.log(`
Task platform (in-memory transport, ${platform.db.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'})

  Backend API            ${api}   (/health, /metrics)
  Notification Service   ${platform.notifications.opsUrl}/health
  Recurring Task Service ${platform.recurring.opsUrl}/health
  SMTP sink              smtp://${platform.delivery.sink.host}:${platform.delivery.sink.port}
  FCM stand-in           ${platform.delivery.fcm.url}

Development JWT for '${user}' (24 h):
  export TOKEN=${token}

Try:
  curl -s ${api}/health
  curl -s -X PUT ${api}/api/v1/users/${user}/devices/fcm-token -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' -d '{"token":"demo-device"}'
  curl -s -X POST ${tasks} -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -d '{"title":"Water the plants","due_at":"${soon}","recurrence":{"pattern":"daily","interval":1},"reminders":[{"minutes_before":15,"channels":["email","push"]}]}'
  curl -s ${tasks} -H "Authorization: Bearer $TOKEN"
  curl -s -X PATCH ${tasks}/<task id>/complete -H "Authorization: Bearer $TOKEN"

Reminders are scanned every ${Math.round(envNumber('REMINDER_INTERVAL_MS', 300_000) / 1000)} s (REMINDER_INTERVAL_MS). Ctrl-C stops everything.
`);

onShutdown(() => platform.close());
