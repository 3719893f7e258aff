/**
 * A local SMTP server that accepts and keeps every message: where the default run's emails really go, so they
 * can be inspected. It can play an outage (421 on connect) for tests and demos.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message the sink received. */
export interface SinkMessage {
  readonly from: string;
  readonly to: readonly string[];
  /** Header values by lower-case name (the last one wins). */
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  /** The raw RFC 5322 message. */
  readonly raw: string;
}

/** A running sink. */
export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  readonly messages: readonly SinkMessage[];
  /** Connections refused so far (outage). */
  readonly refused: number;
  /** Refuses every connection with 421 until called with `true`. */
  setAvailable(available: boolean): void;
  /** Refuses the next `count` connections with 421, then accepts again. */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

function parseHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers: Record<string, string> = {};
  // Unfold continuation lines, then split name: value.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Starts the sink on `host:port` (port 0: a free one). No TLS, authentication optional (any credentials pass).
 *
 * @example
 * ```ts
 * const sink = await startSmtpSink();
 * // nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true })
 * ```
 */
export async function startSmtpSink(
  options: { host?: string; port?: number; onMessage?: (message: SinkMessage) => void } = {},
): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let available = true;
  let refuseCount = 0;
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    banner: 'task-platform SMTP sink',
    onAuth: (_auth, _session, callback) => callback(null, { user: 'sink' }),
    onConnect(_session, callback) {
      if (!available || refuseCount > 0) {
        if (refuseCount > 0) refuseCount--;
        refused++;
        callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = parseHeaders(raw);
        const from = session.envelope.mailFrom;
        const message: SinkMessage = {
          from: from === false ? '' : from.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          headers,
          subject: headers.subject ?? '',
          raw,
        };
        messages.push(message);
        callback();
        options.onMessage?.(message);
      });
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host,
    port,
    messages,
    get refused() {
      return refused;
    },
    setAvailable(value) {
      available = value;
    },
    refuseNext(count) {
      refuseCount = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
