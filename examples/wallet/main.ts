/**
 * `npm run example:wallet`: seed 003's wallet platform. By default the wallet, transaction and provider
 * services run as a modular monolith on the in-memory bus; with `TRANSPORT=nats` (and `NATS_URL`) the same
 * services run as three separate processes on NATS JetStream. Either way the same scenario runs and prints the
 * same balances and ledger.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { deleteNatsStreams } from '../shared/nats-cleanup.js';
import { connectWalletClient } from './client.js';
import { Money } from './money.js';
import { startMonolith } from './monolith.js';
import { spawnWalletServices } from './processes.js';
import { deploymentFromEnv, natsDeployment, settingsFromEnv, settingsToEnv } from './runtime.js';
import { runWalletScenario } from './scenario.js';

const settings = settingsFromEnv(process.env);
const kind = process.env.TRANSPORT ?? 'memory';
let stop: () => Promise<void>;
let deployment = deploymentFromEnv(process.env);

if (kind === 'nats') {
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  // Fresh prefixes per run, so a second run does not read the first one's streams; they are deleted at the end.
  const run = randomUUID().slice(0, 8);
  const topicPrefix = process.env.TOPIC_PREFIX ?? `wallet-${run}-`;
  const streamPrefix = process.env.STREAM_PREFIX ?? `SWB_WALLET_${run}_`;
  deployment = natsDeployment({ natsUrl, topicPrefix, streamPrefix });
  console.log(`starting the wallet, transaction and provider services as separate processes on ${natsUrl}`);
  const services = await spawnWalletServices({
    env: {
      TRANSPORT: 'nats',
      NATS_URL: natsUrl,
      TOPIC_PREFIX: topicPrefix,
      STREAM_PREFIX: streamPrefix,
      ...settingsToEnv(settings),
    },
  });
  console.log(`  pids: ${JSON.stringify(services.pids)}`);
  stop = async () => {
    await services.stop();
    if (process.env.STREAM_PREFIX === undefined) await deleteNatsStreams(natsUrl, streamPrefix);
  };
} else {
  console.log('starting the wallet, transaction and provider services as a modular monolith (in-memory bus)');
  const monolith = await startMonolith({ deployment, settings });
  stop = () => monolith.close();
}

// Ctrl-C stops the services (and deletes the run's streams) before exiting.
process.once('SIGINT', () => {
  void stop().finally(() => process.exit(130));
});

const client = await connectWalletClient({ deployment });
try {
  console.log('\n== health');
  console.log(JSON.stringify(await client.health()));
  console.log('\n== scenario');
  const result = await runWalletScenario(client, (line) => console.log(`  ${line}`));
  console.log('\n== balances');
  for (const [userId, amounts] of Object.entries(result.balances)) {
    console.log(`  ${userId.padEnd(8)} ${amounts.map((m) => Money.fromJSON(m).toString()).join(', ')}`);
  }
  console.log('\n== ledger');
  for (const e of result.ledger) {
    const money = Money.fromJSON(e.amount).toString();
    console.log(
      `  ${String(e.sequence).padStart(2)} ${e.transactionId} ${e.type.padEnd(8)} ${e.userId.padEnd(5)} ${money.padEnd(12)} ${e.status}${e.reason === undefined ? '' : ` ${e.reason}`}${e.providerId === undefined ? '' : ` ${e.providerId}`}`,
    );
  }
  console.log('\n== dead letters (audit)');
  for (const d of result.deadLetters) console.log(`  ${JSON.stringify(d)}`);
  console.log('\n== alerts');
  for (const a of result.alerts) console.log(`  ${a}`);
  console.log('\n== providers');
  for (const p of result.providers)
    console.log(`  ${p.providerId.padEnd(10)} healthy=${p.healthy} breaker=${p.breaker}`);
} finally {
  await client.close();
  await stop();
}
