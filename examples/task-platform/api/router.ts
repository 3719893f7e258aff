/**
 * The Backend API's routes, independent of the socket: node:http requests and service invocations over the bus
 * go through the same authentication, validation and error mapping.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { isRetryable, type Logger } from '../../../src/index.js';
import type { HealthReport } from '../shared/health.js';
import { type UserClaims, verifyBearer } from './auth.js';
import { ApiError, errorBody } from './errors.js';
import type { ApiRateLimiter } from './rate-limit.js';
import type { TaskService } from './task-service.js';
import { validateCreate } from './validation.js';

/** A request, however it arrived. */
export interface ApiRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body ('' when none). */
  readonly body: string;
  /** The client's address, for the per-IP limit. */
  readonly ip: string;
  /**
   * Came over the service-invocation channel (the bus) rather than the public port: only then is a trusted
   * `dapr-app-id` header believed, as Dapr's mTLS makes it believable in the seed.
   */
  readonly internal: boolean;
}

/** The answer. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body; absent for 204. */
  readonly body?: unknown;
}

/** What the routes need. */
export interface RouterDeps {
  readonly tasks: TaskService;
  readonly jwtKey: Uint8Array;
  readonly limits: ApiRateLimiter;
  /** App ids allowed to call without a JWT over service invocation. Default `['recurring-task-service']`. */
  readonly trustedApps?: readonly string[];
  readonly health: () => Promise<HealthReport>;
  readonly logger?: Logger;
}

const USER_PATH = /^\/api\/v1\/users\/([^/]+)(\/.*)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACE_PARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a request: from `traceparent` when present (as a UUID), else a fresh one. */
function traceIdOf(headers: ApiRequest['headers']): string {
  const match = TRACE_PARENT.exec(headers.traceparent ?? '');
  if (match === null) return randomUUID();
  const hex = match[1]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function json(body: string): unknown {
  if (body.trim() === '') throw new ApiError('BAD_REQUEST', 'A JSON body is required');
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError('INVALID_JSON', 'The request body is not valid JSON');
  }
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ApiError('VALIDATION_ERROR', `${name} must be an integer between ${min} and ${max}`, {
      field: name,
      value: raw,
    });
  }
  return value;
}

const methodNotAllowed = (method: string, allowed: string): ApiError =>
  new ApiError(
    'METHOD_NOT_ALLOWED',
    `${method} is not allowed here`,
    { allowed },
    { headers: { Allow: allowed } },
  );

/**
 * Creates the request handler.
 *
 * @example
 * ```ts
 * const route = createRouter({ tasks, jwtKey, limits, health });
 * const response = await route({ method: 'GET', path: '/health', query: new URLSearchParams(), headers: {}, body: '', ip: '127.0.0.1', internal: false });
 * ```
 */
export function createRouter(deps: RouterDeps): (request: ApiRequest) => Promise<ApiResponse> {
  const trusted = new Set(deps.trustedApps ?? ['recurring-task-service']);
  // Users seen with these claims already: no write per request.
  const knownUsers = new Map<string, string>();

  async function remember(claims: UserClaims): Promise<void> {
    const fingerprint = `${claims.email ?? ''}\u0000${claims.name ?? ''}`;
    if (knownUsers.get(claims.sub) === fingerprint) return;
    await deps.tasks.recordUser({ id: claims.sub, email: claims.email, name: claims.name });
    if (knownUsers.size >= 10_000) knownUsers.clear();
    knownUsers.set(claims.sub, fingerprint);
  }

  /** Authenticates, limits and authorises; returns the rate-limit headers for the answer. */
  async function admit(request: ApiRequest, userId: string): Promise<Record<string, string>> {
    const app = request.headers['dapr-app-id'];
    if (request.internal && app !== undefined && trusted.has(app)) return {}; // internal: no JWT, no limit
    let claims: UserClaims;
    try {
      claims = await verifyBearer(request.headers.authorization, deps.jwtKey);
    } catch (error) {
      // Unauthenticated traffic counts against the caller's IP (and is refused with 429 once over it).
      const rateHeaders = deps.limits.take('ip', request.ip);
      const refusal = error as ApiError;
      throw new ApiError(refusal.code, refusal.message, refusal.details, {
        headers: { ...rateHeaders, 'WWW-Authenticate': 'Bearer' },
      });
    }
    const rateHeaders = deps.limits.take('user', claims.sub);
    if (claims.sub !== userId) {
      throw new ApiError(
        'FORBIDDEN',
        'You may only access your own resources',
        { user_id: userId },
        {
          headers: rateHeaders,
        },
      );
    }
    await remember(claims);
    return rateHeaders;
  }

  async function tasks(request: ApiRequest, userId: string, rest: string): Promise<ApiResponse> {
    const { method } = request;
    const service = deps.tasks;
    if (rest === '/tasks') {
      if (method === 'POST') {
        const input = validateCreate(json(request.body));
        const key = request.headers['idempotency-key'];
        const { task, created } = await service.create(userId, input, key === '' ? undefined : key);
        return {
          status: created ? 201 : 200,
          headers: { Location: `/api/v1/users/${encodeURIComponent(userId)}/tasks/${task.id}` },
          body: task,
        };
      }
      if (method === 'GET') {
        const status = request.query.get('status') ?? undefined;
        if (status !== undefined && status !== 'pending' && status !== 'completed') {
          throw new ApiError('VALIDATION_ERROR', 'status must be pending or completed', {
            field: 'status',
            value: status,
          });
        }
        const limit = intParam(request.query, 'limit', 50, 1, 100);
        const offset = intParam(request.query, 'offset', 0, 0, 1_000_000);
        const page = await service.list(userId, { status, limit, offset });
        return { status: 200, headers: {}, body: { ...page, limit, offset } };
      }
      throw methodNotAllowed(method, 'GET, POST');
    }
    const match = /^\/tasks\/([^/]+)(\/complete)?$/.exec(rest);
    if (match === null) throw new ApiError('NOT_FOUND', 'No such resource', { path: request.path });
    const id = decodeURIComponent(match[1]!);
    if (!UUID.test(id)) throw new ApiError('NOT_FOUND', 'Task not found', { task_id: id });
    if (match[2] !== undefined) {
      if (method !== 'PATCH' && method !== 'POST') throw methodNotAllowed(method, 'PATCH');
      return { status: 200, headers: {}, body: await service.complete(userId, id) };
    }
    switch (method) {
      case 'GET':
        return { status: 200, headers: {}, body: await service.get(userId, id) };
      case 'PATCH':
      case 'PUT':
        return { status: 200, headers: {}, body: await service.update(userId, id, json(request.body)) };
      case 'DELETE':
        await service.remove(userId, id);
        return { status: 204, headers: {} };
      default:
        throw methodNotAllowed(method, 'GET, PATCH, PUT, DELETE');
    }
  }

  async function devices(request: ApiRequest, userId: string): Promise<ApiResponse> {
    if (request.method === 'DELETE') {
      await deps.tasks.setFcmToken(userId, null);
      return { status: 204, headers: {} };
    }
    if (request.method !== 'PUT') throw methodNotAllowed(request.method, 'PUT, DELETE');
    const body = json(request.body) as { token?: unknown } | null;
    const token = body?.token;
    if (typeof token !== 'string' || token.length < 1 || token.length > 4096) {
      throw new ApiError('VALIDATION_ERROR', 'token must be between 1 and 4096 characters', {
        field: 'token',
        value: typeof token === 'string' ? `${token.slice(0, 20)}…` : (token ?? null),
      });
    }
    await deps.tasks.setFcmToken(userId, token);
    return { status: 204, headers: {} };
  }

  return async (request) => {
    const traceId = traceIdOf(request.headers);
    const base = { 'X-Trace-Id': traceId };
    let rateHeaders: Record<string, string> = {};
    try {
      if (request.path === '/health') {
        const report = await deps.health();
        return { status: report.status === 'healthy' ? 200 : 503, headers: base, body: report };
      }
      const match = USER_PATH.exec(request.path);
      if (match === null) throw new ApiError('NOT_FOUND', 'No such resource', { path: request.path });
      const userId = decodeURIComponent(match[1]!);
      rateHeaders = await admit(request, userId);
      const rest = match[2] ?? '';
      const response =
        rest === '/devices/fcm-token' ? await devices(request, userId) : await tasks(request, userId, rest);
      return { ...response, headers: { ...base, ...rateHeaders, ...response.headers } };
    } catch (error) {
      let refusal: ApiError;
      if (error instanceof ApiError) refusal = error;
      else if (isRetryable(error)) {
        refusal = new ApiError('SERVICE_UNAVAILABLE', 'A dependency is unavailable; try again later');
      } else {
        deps.logger?.error(
          { trace_id: traceId, error: error instanceof Error ? error.message : String(error) },
          'request failed',
        );
        refusal = new ApiError('INTERNAL_ERROR', 'Unexpected error');
      }
      return {
        status: refusal.status,
        headers: { ...base, ...rateHeaders, ...refusal.headers },
        body: errorBody(refusal, traceId),
      };
    }
  };
}
