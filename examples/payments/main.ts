/**
 * `npm run example:payments`: seed 000's payment flow, then its failure mode. `-- --load` runs seed 001's SLA
 * table as a load scenario instead. `TRANSPORT=nats` (with `NATS_URL`) runs the same services over NATS.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { deleteNatsStreams } from '../shared/nats-cleanup.js';
import { http, login } from './demo-client.js';
import { runLoadScenario } from './load.js';
import { startPaymentsPlatform } from './platform.js';
import { PROTOCOL_MATRIX } from './protocol-matrix.js';
import { deploymentFromEnv, paymentsDeployment } from './runtime.js';

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
};

const load = process.argv.includes('--load');
const searchIndexTimeoutMs = envNumber('SEARCH_INDEX_TIMEOUT_MS', 5_000);
const nats = process.env.TRANSPORT === 'nats';
const run = randomUUID().slice(0, 8);
// On NATS, fresh topic and stream prefixes per run, so runs never read each other's messages.
const deployment = nats
  ? paymentsDeployment({
      kind: 'nats',
      natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      topicPrefix: process.env.TOPIC_PREFIX ?? `payments-${run}-`,
      streamPrefix: process.env.STREAM_PREFIX ?? `SWB_PAYMENTS_${run}_`,
    })
  : deploymentFromEnv(process.env);

const platform = await startPaymentsPlatform({
  deployment,
  matrix: { searchIndexTimeoutMs },
  healthIntervalMs: envNumber('HEALTH_INTERVAL_MS', 100),
  port: envNumber('PORT', 0),
  indexRedeliveryDelayMs: 100,
});
const url = platform.gateway.url;
const say = (text: string): void => console.log(`\n== ${text}`);
console.log(`payments platform on ${deployment.kind}; gateway at ${url}`);

try {
  if (load) {
    say(`load scenario (seed 001's SLA table), ${envNumber('LOAD_DURATION_MS', 2_000)} ms per service`);
    const report = await runLoadScenario(platform, {
      durationMs: envNumber('LOAD_DURATION_MS', 2_000),
      concurrency: envNumber('LOAD_CONCURRENCY', 32),
    });
    console.log(report.markdown);
  } else {
    say('the protocol matrix (seed 000)');
    for (const [edge, row] of Object.entries(PROTOCOL_MATRIX)) {
      console.log(`   ${edge.padEnd(15)} ${row.retry.padEnd(18)} timeout ${row.timeoutMs} ms`);
    }
    await platform.health.nextRound();

    say('auth: POST /auth/token (AuthDB key material, EdDSA JWT)');
    const token = await login(url, 'ada');
    console.log(`   token: ${token.slice(0, 24)}... (EdDSA)`);

    say('user profile: cache miss, then cache hit');
    for (let i = 0; i < 2; i++) {
      const { body } = await http<{ source: string }>(url, 'GET', '/profile', { token });
      console.log(`   profile from ${body.source}`);
    }

    say('payment: fraud check and inventory lock in parallel, atomic transfer, notification, confirmation');
    const paid = await http(url, 'POST', '/payments', {
      token,
      body: {
        paymentId: `pay-${run}-1`,
        merchantId: 'merchant-1',
        amountMinor: 1_999,
        currency: 'USD',
        items: [{ sku: 'sku-lamp', quantity: 1 }],
      },
    });
    console.log(`   ${paid.status} ${JSON.stringify(paid.body)}`);
    const risky = await http(url, 'POST', '/payments', {
      token,
      body: {
        paymentId: `pay-${run}-2`,
        merchantId: 'merchant-1',
        amountMinor: 600_000,
        currency: 'USD',
        items: [{ sku: 'sku-lamp', quantity: 1 }],
      },
    });
    console.log(`   a large payment: ${risky.status} ${JSON.stringify(risky.body)}`);

    say('search');
    const found = await http(url, 'GET', '/search?q=lamp');
    console.log(`   ${found.status} ${JSON.stringify(found.body)}`);

    say(`failure mode: the index sync stalls; after ${searchIndexTimeoutMs} ms the breaker opens`);
    platform.services.queue.stall();
    const broken = await http(url, 'GET', '/search?q=lamp', {
      headers: { traceparent: '00-3d7f0000000000000000000000000000-00f067aa0ba902b7-01' },
    });
    console.log(`   ${broken.status} ${JSON.stringify(broken.body)} (X-Trace-Id: ${broken.traceId})`);
    const again = await http(url, 'GET', '/search?q=lamp');
    console.log(`   while open: ${again.status} ${JSON.stringify(again.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const alert of platform.health.alerts) console.log(`   alert: ${JSON.stringify(alert)}`);
    platform.services.queue.resume();

    say('health loop');
    const health = await platform.health.nextRound();
    console.log(`   ${health.status} after ${health.rounds} rounds`);
    for (const [service, view] of Object.entries(health.services))
      console.log(`   ${service.padEnd(13)} ${JSON.stringify(view)}`);
  }
} finally {
  await platform.close();
  if (nats && process.env.STREAM_PREFIX === undefined) {
    await deleteNatsStreams(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', `SWB_PAYMENTS_${run}_`);
  }
}
