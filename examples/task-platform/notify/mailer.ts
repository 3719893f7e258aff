/**
 * Email over SMTP with nodemailer and the seed's policy: 30 s per attempt, 2 retries with linear back-off (5 s,
 * 10 s) on connection failures and 4xx answers. Authentication failures and rejected recipients are not
 * retried.
 *
 * @module
 */
import nodemailer from 'nodemailer';
import { type RetryPolicy, retry } from '../../../src/index.js';

/** Where and how to send. */
export interface MailerOptions {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Implicit TLS (port 465). Default false; STARTTLS is used when the server offers it unless `ignoreTLS`. */
  readonly secure?: boolean;
  readonly ignoreTLS?: boolean;
  /** Linear back-off step, ms. Default 5000: the seed's 5 s, then 10 s. */
  readonly retryDelayMs?: number;
  /** Per-attempt timeout, ms (connection, greeting, socket). Default 30 000. */
  readonly timeoutMs?: number;
}

/** An email to send. */
export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** How a send ended. */
export type MailOutcome =
  | { readonly status: 'sent'; readonly attempts: number }
  | {
      readonly status: 'failed';
      readonly attempts: number;
      /** `unreachable` (retries spent), `auth` (credentials refused), `recipient` (address rejected), `other`. */
      readonly kind: 'unreachable' | 'auth' | 'recipient' | 'other';
      readonly error: string;
    };

/** Sends mail. */
export interface Mailer {
  /** Sends one email; never rejects: failures come back as an outcome to record. */
  send(mail: Mail): Promise<MailOutcome>;
  close(): void;
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  message?: string;
}

const TRANSIENT = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED']);

/**
 * Whether an SMTP failure may pass: connection trouble or a 4xx answer.
 *
 * @example
 * ```ts
 * isTransientSmtpError({ code: 'EPROTOCOL', responseCode: 421 }); // true
 * ```
 */
export function isTransientSmtpError(error: unknown): boolean {
  const e = error as SmtpError;
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE') return false;
  if (typeof e.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return e.code !== undefined && TRANSIENT.has(e.code);
}

function kindOf(error: SmtpError): 'unreachable' | 'auth' | 'recipient' | 'other' {
  if (error.code === 'EAUTH') return 'auth';
  if (error.code === 'EENVELOPE') return 'recipient';
  return isTransientSmtpError(error) ? 'unreachable' : 'other';
}

/**
 * The seed's SMTP retry: 2 retries after the first attempt, linear back-off of `step` (5 s, 10 s by default),
 * only for transient failures.
 *
 * @example
 * ```ts
 * smtpRetryPolicy().maxAttempts; // 3
 * ```
 */
export function smtpRetryPolicy(step = 5000): RetryPolicy {
  return retry({
    maxAttempts: 3,
    backoff: 'linear',
    initialDelay: step,
    maxDelay: step * 2,
    jitter: 'none',
    shouldRetry: isTransientSmtpError,
  });
}

/**
 * Creates the mailer (one connection per message, so an outage never leaves a dead pooled connection).
 *
 * @example
 * ```ts
 * const mailer = createMailer({ host: '127.0.0.1', port: 2525, from: 'tasks@example.com' });
 * const outcome = await mailer.send({ to, subject, text, html, headers: {} });
 * ```
 */
export function createMailer(options: MailerOptions): Mailer {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure ?? false,
    ignoreTLS: options.ignoreTLS ?? false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(options.user === undefined ? {} : { auth: { user: options.user, pass: options.password ?? '' } }),
  });
  const policy = smtpRetryPolicy(options.retryDelayMs);
  return {
    async send(mail) {
      let attempts = 0;
      try {
        await policy.execute(async () => {
          attempts++;
          await transport.sendMail({ from: options.from, ...mail });
        });
        return { status: 'sent', attempts };
      } catch (error) {
        const e = error as SmtpError;
        return { status: 'failed', attempts, kind: kindOf(e), error: e.message ?? String(error) };
      }
    },
    close: () => transport.close(),
  };
}
