/**
 * An FCM HTTP v1 client with the seed's policy: 10 s per attempt, 3 retries with exponential back-off (1 s, 2 s,
 * 4 s). An expired token is not retried.
 *
 * @module
 */
import {
  compose,
  type RetryPolicy,
  retry,
  SwitchboardError,
  type SwitchboardPolicy,
  timeout,
} from '../../../src/index.js';

/** Where and how to reach FCM. */
export interface FcmOptions {
  /** Base URL: `https://fcm.googleapis.com` in production, the local stub otherwise. */
  readonly url: string;
  readonly project: string;
  /** Bearer credential of the server. */
  readonly serverKey: string;
  /** First retry delay, ms (then doubled). Default 1000: the seed's 1 s, 2 s, 4 s. */
  readonly retryDelayMs?: number;
  /** Per-attempt timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
}

/** What a push came to. */
export type PushOutcome =
  | { readonly status: 'sent'; readonly id: string; readonly attempts: number }
  | { readonly status: 'expired'; readonly attempts: number };

/** A push to send. */
export interface Push {
  readonly token: string;
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
}

/** Sends pushes. */
export interface FcmClient {
  /**
   * Sends one push. Resolves `sent` or `expired` (UNREGISTERED / invalid token); rejects with a retryable
   * `SWB_REMOTE_ERROR` or `SWB_TIMEOUT` once the retries are spent on an unavailable service.
   */
  send(push: Push, signal?: AbortSignal): Promise<PushOutcome>;
}

class Expired {}

/**
 * The seed's FCM retry: 3 retries after the first attempt, exponential from `initial` (1 s, 2 s, 4 s by
 * default), for retryable errors.
 *
 * @example
 * ```ts
 * fcmRetryPolicy().maxAttempts; // 4
 * ```
 */
export function fcmRetryPolicy(initial = 1000): RetryPolicy {
  return retry({
    maxAttempts: 4,
    backoff: 'exponential',
    initialDelay: initial,
    multiplier: 2,
    maxDelay: initial * 4,
    jitter: 'none',
  });
}

/**
 * Creates the client.
 *
 * @example
 * ```ts
 * const fcm = fcmClient({ url: 'http://127.0.0.1:9099', project: 'tasks', serverKey: 'dev-fcm-key' });
 * await fcm.send({ token, title: 'Reminder', body: 'Call mum', data: { task_id } });
 * ```
 */
export function fcmClient(options: FcmOptions): FcmClient {
  const policy: SwitchboardPolicy = compose(
    fcmRetryPolicy(options.retryDelayMs),
    timeout({ duration: options.timeoutMs ?? 10_000 }),
  );
  const endpoint = `${options.url}/v1/projects/${encodeURIComponent(options.project)}/messages:send`;
  return {
    async send(push, signal) {
      let attempts = 0;
      const result = await policy.execute(async ({ signal: attemptSignal }) => {
        attempts++;
        let response: Response;
        try {
          response = await fetch(endpoint, {
            method: 'POST',
            headers: { authorization: `Bearer ${options.serverKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              message: {
                token: push.token,
                notification: { title: push.title, body: push.body },
                data: push.data,
              },
            }),
            signal: attemptSignal,
          });
        } catch (error) {
          throw new SwitchboardError('SWB_REMOTE_ERROR', 'FCM unreachable', {
            retryable: true,
            cause: error,
          });
        }
        const text = await response.text();
        if (response.ok) return (JSON.parse(text) as { name: string }).name;
        const error = (
          JSON.parse(text || '{}') as { error?: { status?: string; details?: { errorCode?: string }[] } }
        ).error;
        const errorCode = error?.details?.[0]?.errorCode ?? error?.status;
        if (errorCode === 'UNREGISTERED' || (response.status === 400 && errorCode === 'INVALID_ARGUMENT')) {
          return new Expired();
        }
        throw new SwitchboardError(
          'SWB_REMOTE_ERROR',
          `FCM answered ${response.status} ${errorCode ?? ''}`.trim(),
          {
            // Unavailable, internal and quota errors pass; a bad credential or request will not get better.
            retryable: response.status >= 500 || response.status === 429,
            details: { status: response.status },
          },
        );
      }, signal);
      return result instanceof Expired
        ? { status: 'expired', attempts }
        : { status: 'sent', id: result, attempts };
    },
  };
}
