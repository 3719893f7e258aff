/**
 * A local stand-in for Firebase Cloud Messaging's HTTP v1 API (`POST /v1/projects/{project}/messages:send`):
 * it checks the bearer key, keeps what it receives, answers `UNREGISTERED` for expired tokens and can play
 * an outage (503 `UNAVAILABLE`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A push the stub accepted. */
export interface StubPush {
  readonly token: string;
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
}

/** A running stub. */
export interface FcmStub {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pushes: readonly StubPush[];
  /** Requests answered 503 so far. */
  readonly unavailableAnswers: number;
  /** Tokens answered 404 `UNREGISTERED` (expired). */
  expire(token: string): void;
  /** Answers 503 to every request until called with `true`. */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

const PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;

function fcmError(status: number, code: string, message: string, errorCode?: string): string {
  return JSON.stringify({
    error: {
      code: status,
      message,
      status: code,
      ...(errorCode === undefined
        ? {}
        : { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] }),
    },
  });
}

/**
 * Starts the stub; requests must carry `Authorization: Bearer <serverKey>`.
 *
 * @example
 * ```ts
 * const fcm = await startFcmStub({ serverKey: 'dev-fcm-key' });
 * fcm.expire('old-token');
 * ```
 */
export async function startFcmStub(options: {
  serverKey: string;
  host?: string;
  port?: number;
  onPush?: (push: StubPush) => void;
}): Promise<FcmStub> {
  const pushes: StubPush[] = [];
  const expired = new Set<string>();
  let available = true;
  let unavailableAnswers = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (status: number, body: string) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (request.method !== 'POST' || !PATH.test(request.url ?? '')) {
        answer(404, fcmError(404, 'NOT_FOUND', 'No such method'));
        return;
      }
      if (request.headers.authorization !== `Bearer ${options.serverKey}`) {
        answer(401, fcmError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials'));
        return;
      }
      if (!available) {
        unavailableAnswers++;
        answer(503, fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable', 'UNAVAILABLE'));
        return;
      }
      let message: { token?: unknown; notification?: { title?: unknown; body?: unknown }; data?: unknown };
      try {
        message =
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: typeof message }).message ?? {};
      } catch {
        answer(400, fcmError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload', 'INVALID_ARGUMENT'));
        return;
      }
      if (typeof message.token !== 'string' || message.token === '') {
        answer(400, fcmError(400, 'INVALID_ARGUMENT', 'message.token is required', 'INVALID_ARGUMENT'));
        return;
      }
      if (expired.has(message.token)) {
        answer(404, fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'));
        return;
      }
      const push: StubPush = {
        token: message.token,
        title: String(message.notification?.title ?? ''),
        body: String(message.notification?.body ?? ''),
        data: (message.data ?? {}) as Record<string, string>,
      };
      pushes.push(push);
      options.onPush?.(push);
      const project = PATH.exec(request.url ?? '')![1];
      answer(200, JSON.stringify({ name: `projects/${project}/messages/${randomUUID()}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    pushes,
    get unavailableAnswers() {
      return unavailableAnswers;
    },
    expire: (token) => void expired.add(token),
    setAvailable(value) {
      available = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
