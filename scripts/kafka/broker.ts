/**
 * A single-node Apache Kafka 4 broker for tests, examples and benchmarks: KRaft mode (broker and controller in one
 * JVM), free ports on 127.0.0.1, its own store directory, no Docker.
 *
 * Everything about a running broker lives in its directory (`server.properties`, `log4j2.properties`,
 * `broker.pid`, `broker.log`, the data under `data/`), so any process that knows the directory can stop or
 * restart it: the vitest global setup starts it, a test worker restarts it (conformance reconnect scenario), and
 * the global teardown stops whichever JVM the pid file names at that point.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..');

/** Where the broker's jars are cached (see `scripts/kafka/setup.sh`). */
export const kafkaLibsDir = process.env.SWITCHBOARD_KAFKA_CACHE
  ? join(process.env.SWITCHBOARD_KAFKA_CACHE, 'libs')
  : join(projectRoot, '.cache', 'kafka', 'libs');

/** Prefix of the temporary directories brokers run in; the stale-broker sweep only looks at these. */
const DIR_PREFIX = 'switchboard-kafka-';

/** Options of {@link startKafkaBroker}. */
export interface KafkaBrokerOptions {
  /** JVM heap: `-Xms<min> -Xmx<max>`. Default `256m` and `1g`. */
  readonly heapMin?: string;
  readonly heapMax?: string;
  /** How long one start may take until an admin metadata call succeeds. Default 90 s. */
  readonly startTimeoutMs?: number;
  /** Whole-start attempts, each with fresh ports and a fresh directory. Default 3. */
  readonly attempts?: number;
  /** Extra `server.properties` entries. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /** Progress lines (default: silent). */
  readonly log?: (line: string) => void;
}

/** What a process needs to know to reach, stop or restart a broker: plain data, safe to pass between processes. */
export interface KafkaBrokerInfo {
  /** `127.0.0.1:<port>`, the PLAINTEXT listener. */
  readonly bootstrap: string;
  /** The broker's own directory. */
  readonly dir: string;
  readonly port: number;
  readonly controllerPort: number;
}

/** A running broker started by {@link startKafkaBroker}. */
export interface KafkaBroker extends KafkaBrokerInfo {
  /** The JVM's current pid (changes on restart). */
  readonly pid: number | undefined;
  /** Stops the JVM (SIGTERM, SIGKILL after `timeoutMs`); the data stays. Idempotent. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Starts the stopped broker again on the same ports and data. */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
  /** Stops the broker and deletes its directory. */
  destroy(): Promise<void>;
}

/**
 * Runs `scripts/kafka/setup.sh jars` so the classpath is cached (a no-op once it is).
 *
 * @example
 * ```ts
 * ensureKafkaJars(); // later runs: a no-op
 * ```
 */
export function ensureKafkaJars(): void {
  const result = spawnSync('bash', [join(here, 'setup.sh'), 'jars'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0)
    throw new Error('scripts/kafka/setup.sh jars failed: the Kafka jars are not available');
}

/**
 * Runs `scripts/kafka/setup.sh kcat`: installs the Debian `kcat` package (interop tests) when it is missing and
 * apt-get may run; otherwise it says why and returns. Never throws.
 *
 * @example
 * ```ts
 * ensureKcat();
 * ```
 */
export function ensureKcat(): void {
  spawnSync('bash', [join(here, 'setup.sh'), 'kcat'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
}

/**
 * Asks the kernel for a free TCP port on 127.0.0.1.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export async function freePort(): Promise<number> {
  // Below the kernel's ephemeral range: a restart reuses the broker's ports, and a port from that range can be
  // handed to any outgoing connection (the clients reconnecting to this very broker included) while it is down,
  // after which the broker cannot bind it again.
  const [low] = ephemeralRange();
  const floor = 20_000;
  const ceiling = Math.max(floor + 1000, low) - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = floor + Math.floor(Math.random() * (ceiling - floor));
    if (await canListen(port)) return port;
  }
  return listenOn(0);
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: use the IANA range
  }
  return [49152, 65535];
}

async function canListen(port: number): Promise<boolean> {
  try {
    await listenOn(port);
    return true;
  } catch {
    return false;
  }
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(bound));
    });
  });
}

function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

function serverProperties(
  dir: string,
  port: number,
  controllerPort: number,
  extra: Readonly<Record<string, string | number | boolean>>,
): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Tests use short session timeouts to check eviction; the broker's floor must allow them.
    'group.min.session.timeout.ms': 1000,
    'auto.create.topics.enable': true,
    ...extra,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

// Broker lines go to stdout, which the harness redirects to broker.log; WARN keeps it small on a shared machine,
// with the start-up line kept so a reader of the log sees when the broker was ready.
const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.kafka.name = kafka.Kafka
logger.kafka.level = INFO
`;

function java(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function classpath(): string {
  return `${kafkaLibsDir}/*`;
}

/** Lays out a fresh broker directory and formats its KRaft store. */
function prepareDir(dir: string, port: number, controllerPort: number, options: KafkaBrokerOptions): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(
    join(dir, 'server.properties'),
    serverProperties(dir, port, controllerPort, options.properties ?? {}),
  );
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
  writeFileSync(join(dir, 'broker.json'), JSON.stringify({ port, controllerPort, owner: process.pid }));
  const format = spawnSync(
    java(),
    [
      `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
      '-cp',
      classpath(),
      'kafka.tools.StorageTool',
      'format',
      '--config',
      join(dir, 'server.properties'),
      `--cluster-id=${clusterId()}`,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (format.status !== 0) {
    throw new Error(`kafka StorageTool format failed (${format.status}): ${format.stderr || format.stdout}`);
  }
}

/** Reads the pid file of a broker directory. */
function readPid(dir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, 'broker.pid'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is alive and is the JVM of `dir` (a recycled pid never gets killed by mistake). */
function isBrokerProcess(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(join(dir, 'server.properties'))) return false;
    // A zombie (exited, not yet reaped) has an empty cmdline on Linux, so reaching here means alive; the stat
    // state letter rules out the short window where it is exiting.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Every live JVM running the broker of `dir`, found by command line rather than pid file: the pid file names the
 * last JVM started, and a start that raced another would otherwise leave a broker nobody can find.
 */
function brokerPids(dir: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    const pid = readPid(dir);
    return pid !== undefined && isBrokerProcess(pid, dir) ? [pid] : [];
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && isBrokerProcess(pid, dir)) pids.push(pid);
  }
  return pids;
}

/**
 * Stops the broker of `dir`: SIGTERM to every JVM running it, then SIGKILL after `timeoutMs`. Resolves when they
 * are gone. Safe when nothing runs.
 *
 * @example
 * ```ts
 * await stopBrokerInDir('/tmp/switchboard-kafka-abc123');
 * ```
 */
export async function stopBrokerInDir(dir: string, timeoutMs = 30_000): Promise<void> {
  let pids = brokerPids(dir);
  if (pids.length === 0) return;
  const signal = (name: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    pids = pids.filter((pid) => isBrokerProcess(pid, dir));
    if (pids.length === 0) return;
    await sleep(100);
  }
  signal('SIGKILL');
  while (pids.some((pid) => isBrokerProcess(pid, dir))) await sleep(50);
}

/**
 * The synchronous last resort for exit handlers: SIGKILL to every JVM of `dir`, no waiting.
 *
 * @example
 * ```ts
 * process.once('exit', () => killBrokerInDirSync(dir));
 * ```
 */
export function killBrokerInDirSync(dir: string): void {
  for (const pid of brokerPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log)';
  }
}

/** Resolves once an admin metadata call lists a broker; rejects when the JVM exits or the deadline passes. */
async function waitReady(info: KafkaBrokerInfo, pid: number, timeoutMs: number, logFrom = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    // A broker that hit a fatal fault (a port taken, say) may hang in its shutdown instead of exiting.
    const fatal = fatalStartupError(info.dir, logFrom);
    if (fatal) throw new Error(`the Kafka broker failed to start: ${fatal}`);
    if (!isBrokerProcess(pid, info.dir)) {
      throw new Error(
        `the Kafka JVM exited during start-up; broker.log ends with:\n${tail(join(info.dir, 'broker.log'))}`,
      );
    }
    const admin = new Admin({
      clientId: 'switchboard-harness',
      bootstrapBrokers: [info.bootstrap],
      retries: 0,
      timeout: 2000,
    });
    try {
      const metadata = await admin.metadata({ topics: [] });
      if (metadata.brokers.size > 0) return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.close().catch(() => {});
    }
    await sleep(250);
  }
  throw new Error(
    `the Kafka broker did not answer an admin metadata call within ${timeoutMs} ms (${String(lastError)}); broker.log ends with:\n${tail(join(info.dir, 'broker.log'))}`,
  );
}

function logSize(dir: string): number {
  try {
    return statSync(join(dir, 'broker.log')).size;
  } catch {
    return 0;
  }
}

/** The first fatal start-up line written to broker.log after `from`, if any. */
function fatalStartupError(dir: string, from: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'broker.log')).subarray(from).toString('utf8');
  } catch {
    return undefined;
  }
  const line = text
    .split('\n')
    .find((l) => l.includes('Address already in use') || l.includes('Encountered fatal fault'));
  return line?.trim();
}

function spawnBroker(dir: string, options: KafkaBrokerOptions): number {
  const logFd = openSync(join(dir, 'broker.log'), 'a');
  try {
    const child = spawn(
      java(),
      [
        `-Xms${options.heapMin ?? '256m'}`,
        `-Xmx${options.heapMax ?? '1g'}`,
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
        '-cp',
        classpath(),
        'kafka.Kafka',
        join(dir, 'server.properties'),
      ],
      // Output goes to a file, not a pipe, so neither side keeps the other alive; unref lets the starting process
      // exit while the broker runs (teardown stops it by pid).
      { stdio: ['ignore', logFd, logFd], detached: false },
    );
    child.unref();
    if (child.pid === undefined)
      throw new Error('could not spawn java (is a JDK 17+ on PATH or JAVA_HOME set?)');
    writeFileSync(join(dir, 'broker.pid'), String(child.pid));
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

/**
 * Starts the (already formatted) broker of `info.dir` on its recorded ports and waits until it answers. Used by
 * {@link startKafkaBroker} and, from test workers, to restart a broker another process started.
 *
 * @example
 * ```ts
 * await startBrokerInDir(brokerInfoFromDir(dir)); // same ports, same data
 * ```
 */
export async function startBrokerInDir(
  info: KafkaBrokerInfo,
  options: KafkaBrokerOptions = {},
): Promise<number> {
  // Already running: a second JVM would fail to bind its ports and hang in its shutdown.
  const running = brokerPids(info.dir)[0];
  if (running !== undefined) return running;
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  let lastError: unknown;
  // The same ports may be briefly unavailable right after a stop (or taken by someone else): retry a few times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const logFrom = logSize(info.dir);
    const pid = spawnBroker(info.dir, options);
    try {
      await waitReady(info, pid, timeoutMs, logFrom);
      return pid;
    } catch (error) {
      lastError = error;
      // A JVM that hit a fatal fault can hang in its shutdown hooks: no long wait for the polite stop.
      await stopBrokerInDir(info.dir, 2000);
      await sleep(1000);
    }
  }
  throw lastError;
}

/**
 * Reads the reachability data of a broker directory written by {@link startKafkaBroker}.
 *
 * @example
 * ```ts
 * const { bootstrap } = brokerInfoFromDir(dir);
 * ```
 */
export function brokerInfoFromDir(dir: string): KafkaBrokerInfo {
  const { port, controllerPort } = JSON.parse(readFileSync(join(dir, 'broker.json'), 'utf8')) as {
    port: number;
    controllerPort: number;
  };
  return { bootstrap: `127.0.0.1:${port}`, dir, port, controllerPort };
}

/**
 * Stops brokers left behind by runs whose owner process died (a killed test run): only directories of this
 * harness, only JVMs whose command line names that directory.
 *
 * @example
 * ```ts
 * await sweepStaleBrokers();
 * ```
 */
export async function sweepStaleBrokers(): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(tmpdir(), name);
    try {
      const { owner } = JSON.parse(readFileSync(join(dir, 'broker.json'), 'utf8')) as {
        owner: number | null;
      };
      // A broker started from the command line has no owner process: it runs until someone stops it.
      if (typeof owner !== 'number') continue;
      let ownerAlive = true;
      try {
        process.kill(owner, 0);
      } catch {
        ownerAlive = false;
      }
      if (ownerAlive) continue;
      await stopBrokerInDir(dir, 10_000);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours or half-written: leave it
    }
  }
}

/**
 * Starts a fresh single-node KRaft broker and waits until an admin metadata call succeeds, retrying the whole
 * start with fresh ports and a fresh directory up to `attempts` times.
 *
 * @example
 * ```ts
 * const broker = await startKafkaBroker({ log: console.error });
 * try {
 *   console.log(broker.bootstrap); // 127.0.0.1:41234
 * } finally {
 *   await broker.destroy();
 * }
 * ```
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  ensureKafkaJars();
  await sweepStaleBrokers();
  const attempts = options.attempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const info: KafkaBrokerInfo = { bootstrap: `127.0.0.1:${port}`, dir, port, controllerPort };
    const started = Date.now();
    try {
      prepareDir(dir, port, controllerPort, options);
      const pid = spawnBroker(dir, options);
      await waitReady(info, pid, options.startTimeoutMs ?? 90_000);
      log(`kafka broker ready on ${info.bootstrap} in ${Date.now() - started} ms (pid ${pid}, dir ${dir})`);
      return makeHandle(info, options);
    } catch (error) {
      lastError = error;
      log(`kafka broker start attempt ${attempt}/${attempts} failed: ${String(error)}`);
      await stopBrokerInDir(dir, 5000);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`could not start a Kafka broker after ${attempts} attempts: ${String(lastError)}`, {
    cause: lastError,
  });
}

function makeHandle(info: KafkaBrokerInfo, options: KafkaBrokerOptions): KafkaBroker {
  // Whatever happens to this process, do not leave a JVM behind.
  const onExit = () => killBrokerInDirSync(info.dir);
  process.once('exit', onExit);
  return {
    ...info,
    get pid() {
      return brokerPids(info.dir)[0];
    },
    stop: (stopOptions) => stopBrokerInDir(info.dir, stopOptions?.timeoutMs),
    start: async () => {
      await startBrokerInDir(info, options);
    },
    restart: async () => {
      await stopBrokerInDir(info.dir);
      await startBrokerInDir(info, options);
    },
    destroy: async () => {
      await stopBrokerInDir(info.dir);
      process.off('exit', onExit);
      if (existsSync(info.dir)) rmSync(info.dir, { recursive: true, force: true });
    },
  };
}
