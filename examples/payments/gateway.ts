/**
 * The API gateway: HTTP in front of the bus. It authenticates with EdDSA JWTs (verified against AuthService's
 * public keys), reads the user profile (`gateway->user`: 2 linear retries, 1 s), forwards payments and searches,
 * and serves the health loop's view. Every answer carries `X-Trace-Id`; errors carry it in the body too.
 *
 * | route | answer |
 * |---|---|
 * | `POST /auth/token` `{ userId }` | 200 `{ token, expiresAt }` |
 * | `GET /profile` | 200 `{ profile, source }` (`cache` or `database`) |
 * | `POST /payments` `{ paymentId, merchantId, amountMinor, currency, items }` | 200 confirmation; 402 `FRAUD_SUSPECTED` or `INSUFFICIENT_FUNDS`; 409 `OUT_OF_STOCK` |
 * | `GET /search?q=` | 200 `{ hits }` |
 * | `GET /health` | 200 or 503 with every service's stats |
 *
 * Failures: 401 `Unauthorized`, 404 `NotFound`, 503 `CircuitBroken` (an open breaker on the way), 504
 * `Timeout`, 502 `BadGateway`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { type Bus, isSwitchboardError } from '../../src/index.js';
import { TOKEN_ISSUER } from './auth-service.js';
import type { PaymentMessages, PaymentReplies, PaymentRequest } from './contracts.js';
import type { HealthLoop } from './health-loop.js';
import { type ProtocolMatrixOptions, protocolMatrix } from './protocol-matrix.js';
import { type PaymentsDeployment, serviceBus } from './runtime.js';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  readonly deployment: PaymentsDeployment;
  readonly health: HealthLoop;
  readonly matrix?: ProtocolMatrixOptions;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** How long a search may take end to end, ms. Default: the search index timeout plus 2 s. */
  readonly searchTimeoutMs?: number;
}

/** A running gateway. */
export interface Gateway {
  readonly bus: Bus<PaymentMessages>;
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The trace id of a request: from its `traceparent`, else the active OpenTelemetry span, else a fresh one.
 *
 * @example
 * ```ts
 * traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'); // '4bf92f35...'
 * ```
 */
export function traceIdOf(traceparent: string | undefined): string {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (match !== null && !/^0+$/.test(match[1]!)) return match[1]!;
  const active = trace.getActiveSpan()?.spanContext();
  if (active !== undefined && isSpanContextValid(active)) return active.traceId;
  return randomBytes(16).toString('hex');
}

/**
 * Starts the gateway.
 *
 * @example
 * ```ts
 * const gateway = await startGateway({ deployment, health });
 * await fetch(`${gateway.url}/health`);
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const bus = serviceBus(options.deployment, 'api-gateway');
  const matrix = protocolMatrix(options.matrix);
  const userEdge = matrix['gateway->user'];
  const searchTimeoutMs = options.searchTimeoutMs ?? matrix['search->queue'].timeout.duration + 2_000;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  const verifyKey = async (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    if (keys !== undefined) return keys;
    const jwks = await bus.request<'auth.jwks.get.v1', PaymentReplies['auth.jwks.get.v1']>(
      'auth.jwks.get.v1',
      {},
    );
    keys = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
    return keys;
  };

  const authenticate = async (req: IncomingMessage): Promise<string> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (match === null) throw new HttpError(401, 'Unauthorized', 'missing bearer token');
    try {
      const { payload } = await jwtVerify(match[1]!, await verifyKey(), {
        algorithms: ['EdDSA'],
        issuer: TOKEN_ISSUER,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('no subject');
      return payload.sub;
    } catch {
      throw new HttpError(401, 'Unauthorized', 'invalid token');
    }
  };

  const profileOf = async (userId: string): Promise<PaymentReplies['user.profile.get.v1']> => {
    const reply = await userEdge.execute(({ signal }) =>
      bus.request<'user.profile.get.v1', PaymentReplies['user.profile.get.v1']>(
        'user.profile.get.v1',
        { userId },
        { signal, timeoutMs: 2_000 },
      ),
    );
    if (reply.profile === null) throw new HttpError(404, 'NotFound', 'unknown user');
    return reply;
  };

  const route = async (req: IncomingMessage, url: URL, traceId: string): Promise<[number, unknown]> => {
    const path = `${req.method} ${url.pathname}`;
    switch (path) {
      case 'POST /auth/token': {
        const body = (await readJson(req)) as { userId?: unknown };
        if (typeof body.userId !== 'string' || body.userId === '') {
          throw new HttpError(400, 'BadRequest', 'userId is required');
        }
        return [200, await bus.request('auth.token.issue.v1', { userId: body.userId }, { timeoutMs: 3_000 })];
      }
      case 'GET /profile':
        return [200, await profileOf(await authenticate(req))];
      case 'POST /payments': {
        const userId = await authenticate(req);
        const body = (await readJson(req)) as Partial<PaymentRequest>;
        await profileOf(userId);
        const outcome = await bus.request<'payment.process.v1', PaymentReplies['payment.process.v1']>(
          'payment.process.v1',
          {
            paymentId: String(body.paymentId ?? ''),
            userId,
            merchantId: String(body.merchantId ?? ''),
            amountMinor: Number(body.amountMinor),
            currency: String(body.currency ?? ''),
            items: Array.isArray(body.items) ? body.items : [],
          },
          { timeoutMs: 10_000 },
        );
        if (outcome.status === 'confirmed') return [200, { ...outcome, traceId }];
        return [outcome.reason === 'OUT_OF_STOCK' ? 409 : 402, { error: outcome.reason, traceId }];
      }
      case 'GET /search': {
        const reply = await bus.request(
          'search.query.v1',
          { query: url.searchParams.get('q') ?? '', traceId },
          { timeoutMs: searchTimeoutMs },
        );
        return [200, reply];
      }
      case 'GET /health': {
        const snapshot = options.health.snapshot();
        return [snapshot.status === 'healthy' ? 200 : 503, snapshot];
      }
      default:
        throw new HttpError(404, 'NotFound', 'no such route');
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const traceId = traceIdOf(req.headers.traceparent as string | undefined);
    let status: number;
    let body: unknown;
    try {
      [status, body] = await route(req, new URL(req.url ?? '/', 'http://gateway'), traceId);
    } catch (error) {
      [status, body] = errorAnswer(error, traceId);
    }
    res.writeHead(status, { 'content-type': 'application/json', 'x-trace-id': traceId });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    bus,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.close();
    },
  };
}

/** Maps a failure to its HTTP answer; never echoes payloads or tokens. */
function errorAnswer(error: unknown, traceId: string): [number, unknown] {
  if (error instanceof HttpError)
    return [error.status, { error: error.error, message: error.message, traceId }];
  if (
    isSwitchboardError(error, 'SWB_CIRCUIT_OPEN') ||
    isSwitchboardError(error, 'SWB_CIRCUIT_HALF_OPEN_REJECTED')
  ) {
    return [503, { error: 'CircuitBroken', message: error.message, traceId }];
  }
  if (isSwitchboardError(error, 'SWB_TIMEOUT') || isSwitchboardError(error, 'SWB_REQUEST_TIMEOUT')) {
    return [504, { error: 'Timeout', message: error.message, traceId }];
  }
  if (isSwitchboardError(error, 'SWB_ENVELOPE_INVALID')) {
    return [400, { error: 'BadRequest', message: error.message, traceId }];
  }
  return [502, { error: 'BadGateway', message: 'an upstream service failed', traceId }];
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new HttpError(413, 'PayloadTooLarge', 'body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    return parsed;
  } catch {
    throw new HttpError(400, 'BadRequest', 'body must be a JSON object');
  }
}
