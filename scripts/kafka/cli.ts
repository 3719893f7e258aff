/**
 * Command line for the project's Kafka broker (examples and manual runs).
 *
 *   node --import tsx scripts/kafka/cli.ts start     # prints {"bootstrap","dir","pid"} as JSON, leaves it running
 *   node --import tsx scripts/kafka/cli.ts stop <dir>
 *   node --import tsx scripts/kafka/cli.ts restart <dir>
 *
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerInfoFromDir, startBrokerInDir, startKafkaBroker, stopBrokerInDir } from './broker.js';

const [command, dir] = process.argv.slice(2);
const log = (line: string) => process.stderr.write(`${line}\n`);

switch (command) {
  case 'start': {
    const broker = await startKafkaBroker({ log });
    // Owned by whoever ran the command from now on: the stale-broker sweep of later runs must leave it alone.
    const infoFile = join(broker.dir, 'broker.json');
    writeFileSync(infoFile, JSON.stringify({ ...JSON.parse(readFileSync(infoFile, 'utf8')), owner: null }));
    process.stdout.write(
      `${JSON.stringify({ bootstrap: broker.bootstrap, dir: broker.dir, pid: broker.pid })}\n`,
    );
    // Exit without the handle's exit hook: the caller owns the broker now and stops it with `stop <dir>`.
    process.removeAllListeners('exit');
    process.exit(0);
    break;
  }
  case 'stop':
  case 'restart': {
    if (!dir) throw new Error(`usage: cli.ts ${command} <dir>`);
    await stopBrokerInDir(dir);
    if (command === 'restart') await startBrokerInDir(brokerInfoFromDir(dir));
    else if (process.argv.includes('--rm')) rmSync(dir, { recursive: true, force: true });
    break;
  }
  default:
    log('usage: cli.ts start | stop <dir> [--rm] | restart <dir>');
    process.exitCode = 2;
}
