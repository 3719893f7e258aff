/**
 * The mesh's HTTP API on node:http: seed 004's messaging API (`POST /messages/publish`, `POST /messages/batch`),
 * subscription management (`GET`/`POST`/`DELETE /subscriptions`, `POST /subscriptions/{id}/pause` and
 * `/resume`, `GET /subscriptions/{id}/messages`), monitoring (`/metrics`, `/health`, `/ready`), and the agent
 * commands and queries (`POST /agents` runs `agent_spawning_saga`, `GET /agents` reads the read model,
 * `POST /meshes` runs `mesh_formation_saga`).
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Bus,
  type HealthReport,
  isSwitchboardError,
  type PublishOptions,
  type PublishResult,
  type SchemaRegistry,
  safeJsonParse,
} from '../../../src/index.js';
import type { SagaOrchestrator, SagaOutcome } from '../../../src/saga/index.js';
import type { AgentService } from '../agents/agent-service.js';
import type { AgentReadModel } from '../agents/read-model.js';
import type { FormMeshInput, SpawnAgentInput } from '../mesh/sagas.js';
import { unixNanos } from '../standard-envelope.js';
import type { MeshTopic } from '../topics.js';
import type { MeshMetrics } from './metrics.js';
import type { SubscriptionManager } from './subscriptions.js';
import {
  BadRequest,
  type PublishRequest,
  readBatchRequest,
  readPublishRequest,
  readSubscriptionRequest,
} from './validation.js';

/** What the API serves. */
export interface MeshApiContext {
  readonly bus: Bus;
  /** The registry the bus encodes with: names the schema version a message was written with. */
  readonly registry: SchemaRegistry;
  /** The broker topic of a mesh topic (a prefix in tests). */
  readonly topicName: (topic: MeshTopic) => string;
  readonly subscriptions: SubscriptionManager;
  readonly metrics: MeshMetrics;
  readonly agents: AgentService;
  readonly readModel: AgentReadModel;
  readonly spawning: SagaOrchestrator<SpawnAgentInput>;
  readonly formation: SagaOrchestrator<FormMeshInput>;
  readonly ready: () => boolean;
  readonly health: () => Promise<HealthReport>;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
}

const MAX_BODY = 1024 * 1024;
const json = (status: number, body: unknown): Reply => ({ status, body });
const problem = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply =>
  json(status, { error: { code, message, ...extra } });
const notFound = (): Reply => problem(404, 'NOT_FOUND', 'no such resource');

/** HTTP status of a SwitchboardError raised while publishing. */
function statusOf(code: string): number {
  if (
    ['SWB_ENCODE_FAILED', 'SWB_ENVELOPE_INVALID', 'SWB_SCHEMA_NOT_FOUND', 'SWB_MESSAGE_TOO_LARGE'].includes(
      code,
    )
  )
    return 400;
  if (
    ['SWB_TRANSPORT_CLOSED', 'SWB_TRANSPORT_UNAVAILABLE', 'SWB_PUBLISH_FAILED', 'SWB_TIMEOUT'].includes(code)
  )
    return 503;
  return 500;
}

function errorReply(error: unknown): Reply {
  if (error instanceof BadRequest)
    return problem(400, 'INVALID_REQUEST', error.message, { field: error.field });
  if (isSwitchboardError(error)) return problem(statusOf(error.code), error.code, error.message);
  return problem(500, 'INTERNAL', 'internal error');
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest('body', 'is larger than 1 MiB');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    // The library's parser: no prototype pollution, bounded depth.
    return safeJsonParse(text, { maxDepth: 32 });
  } catch {
    throw new BadRequest('body', 'must be JSON');
  }
}

function publishOptions(context: MeshApiContext, message: PublishRequest): PublishOptions {
  return {
    topic: context.topicName(message.topic),
    ...(message.key === undefined ? {} : { key: message.key }),
    ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
    ...(message.destination === undefined ? {} : { destination: message.destination }),
    ...(message.schemaVersion === undefined ? {} : { schemaVersion: message.schemaVersion }),
    ...(Object.keys(message.metadata).length === 0 ? {} : { extensions: message.metadata }),
  };
}

function accepted(
  context: MeshApiContext,
  message: PublishRequest,
  result: PublishResult,
): Record<string, unknown> {
  const { envelope } = result;
  // The bus stamps the registry's version on the copy it encodes; the envelope returned is the one built.
  const version =
    envelope.schemaversion ??
    (context.registry.has(envelope.type) ? context.registry.latest(envelope.type)?.version : undefined);
  return {
    message_id: envelope.id,
    topic: message.topic,
    message_type: envelope.type,
    schema_version: version ?? null,
    timestamp: unixNanos(envelope.time),
    partition: result.receipt.partition ?? null,
    offset: result.receipt.offset ?? null,
  };
}

function outcomeReply(outcome: SagaOutcome): Reply {
  const body = {
    saga_id: outcome.sagaId,
    saga: outcome.saga,
    status: outcome.status,
    completed_steps: outcome.completedSteps,
    failed_step: outcome.failedStep ?? null,
    compensated: outcome.compensated,
    compensation_failures: outcome.compensationFailures.map((f) => ({
      step: f.step,
      code: f.error.code,
      attempts: f.attempts,
    })),
    error: outcome.error === undefined ? null : { code: outcome.error.code, message: outcome.error.message },
  };
  // 201 when the saga completed; 409 when it was rolled back; 500 when a compensation failed (needs attention).
  return json(outcome.status === 'completed' ? 201 : outcome.status === 'compensated' ? 409 : 500, body);
}

function spawnInput(value: unknown): SpawnAgentInput {
  const body = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const id = body.agent_id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new BadRequest('agent_id', 'must be 1-64 letters, digits, dashes or underscores');
  const capabilities = body.capabilities ?? {};
  if (
    typeof capabilities !== 'object' ||
    capabilities === null ||
    Array.isArray(capabilities) ||
    !Object.values(capabilities).every((v) => typeof v === 'number')
  )
    throw new BadRequest('capabilities', 'must map capability names to levels');
  const cpu = body.cpu ?? 1;
  const memoryMb = body.memory_mb ?? 1024;
  if (typeof cpu !== 'number' || cpu <= 0) throw new BadRequest('cpu', 'must be a positive number');
  if (typeof memoryMb !== 'number' || memoryMb <= 0)
    throw new BadRequest('memory_mb', 'must be a positive number');
  const kind = typeof body.kind === 'string' ? body.kind : 'generalist';
  return { agentId: id, kind, capabilities: capabilities as Record<string, number>, cpu, memoryMb };
}

function meshInput(value: unknown): FormMeshInput {
  const body = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof body.mesh_id !== 'string' || body.mesh_id.length === 0)
    throw new BadRequest('mesh_id', 'is required');
  if (!Array.isArray(body.agent_ids) || !body.agent_ids.every((a) => typeof a === 'string'))
    throw new BadRequest('agent_ids', 'must be an array of agent ids');
  const topology = body.topology ?? 'full';
  if (topology !== 'full' && topology !== 'ring')
    throw new BadRequest('topology', "must be 'full' or 'ring'");
  return { meshId: body.mesh_id, agentIds: body.agent_ids as string[], topology };
}

/** Routes one request. */
async function route(
  context: MeshApiContext,
  request: IncomingMessage,
  path: string,
  query: URLSearchParams,
): Promise<Reply> {
  const method = request.method ?? 'GET';
  const parts = path.split('/').filter((p) => p !== '');
  const [first, id, action] = parts;

  if (path === '/health' && method === 'GET') {
    const report = await context.health();
    return json(report.status === 'unhealthy' ? 503 : 200, report);
  }
  if (path === '/ready' && method === 'GET')
    return context.ready() ? json(200, { status: 'ready' }) : json(503, { status: 'not ready' });
  if (path === '/metrics' && method === 'GET')
    return { status: 200, text: await context.metrics.render(context.bus) };

  if (path === '/messages/publish' && method === 'POST') {
    const message = readPublishRequest(await readJson(request));
    const result = await context.bus.publish(
      message.messageType,
      message.payload,
      publishOptions(context, message),
    );
    return json(202, accepted(context, message, result));
  }
  if (path === '/messages/batch' && method === 'POST') {
    const messages = readBatchRequest(await readJson(request));
    // Issued in input order without waiting in between: the transport pipelines them and keeps per-key order.
    const settled = await Promise.allSettled(
      messages.map((m) => context.bus.publish(m.messageType, m.payload, publishOptions(context, m))),
    );
    const results = settled.map((s, index) =>
      s.status === 'fulfilled'
        ? { index, status: 'accepted', ...accepted(context, messages[index]!, s.value) }
        : { index, status: 'rejected', error: (errorReply(s.reason).body as { error: unknown }).error },
    );
    return json(settled.every((s) => s.status === 'fulfilled') ? 202 : 207, { results });
  }

  if (first === 'subscriptions') {
    if (id === undefined) {
      if (method === 'GET') return json(200, { subscriptions: context.subscriptions.list() });
      if (method === 'POST')
        return json(
          201,
          await context.subscriptions.create(readSubscriptionRequest(await readJson(request))),
        );
      if (method === 'DELETE') {
        const target = query.get('id');
        if (target === null) throw new BadRequest('id', 'is required (query parameter)');
        return (await context.subscriptions.remove(target)) ? { status: 204 } : notFound();
      }
    } else if (action === undefined) {
      if (method === 'GET') {
        const view = context.subscriptions.get(id);
        return view === undefined ? notFound() : json(200, view);
      }
      if (method === 'DELETE') return (await context.subscriptions.remove(id)) ? { status: 204 } : notFound();
    } else if ((action === 'pause' || action === 'resume') && method === 'POST') {
      const view = context.subscriptions.setPaused(id, action === 'pause');
      return view === undefined ? notFound() : json(200, view);
    } else if (action === 'messages' && method === 'GET') {
      const max = Math.min(1000, Number(query.get('max') ?? 100) || 100);
      const messages = context.subscriptions.take(id, max);
      return messages === undefined ? notFound() : json(200, { messages });
    }
  }

  if (first === 'agents') {
    if (id === undefined && method === 'POST') {
      const input = spawnInput(await readJson(request));
      return outcomeReply(await context.spawning.run(input));
    }
    if (id === undefined && method === 'GET') {
      const status = query.get('status');
      const capability = query.get('capability');
      const minLevel = query.get('min_level');
      const agents = context.readModel.list({
        ...(status === 'active' || status === 'terminated' ? { status } : {}),
        ...(capability === null ? {} : { capability }),
        ...(minLevel === null ? {} : { minLevel: Number(minLevel) }),
      });
      return json(200, { agents, stats: context.readModel.stats() });
    }
    if (id !== undefined && action === undefined && method === 'GET') {
      const summary = context.readModel.get(id);
      if (summary === undefined) return notFound();
      const snapshots = context.agents.store.snapshots(id).map((s) => s.version);
      return json(200, { ...summary, stream_version: context.agents.store.version(id), snapshots });
    }
  }
  if (path === '/meshes' && method === 'POST')
    return outcomeReply(await context.formation.run(meshInput(await readJson(request))));
  return notFound();
}

/** The route name used in metrics: ids replaced, so the label set stays small. */
function routeLabel(path: string): string {
  return path.replace(/^\/(subscriptions|agents)\/[^/]+/, '/$1/{id}');
}

/**
 * Creates the server (not listening yet).
 *
 * @example
 * ```ts
 * const server = createMeshServer(context);
 * server.listen(8080);
 * ```
 */
export function createMeshServer(context: MeshApiContext): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const done = (reply: Reply): void => {
      context.metrics.http.inc({
        method: request.method ?? 'GET',
        route: routeLabel(url.pathname),
        status: String(reply.status),
      });
      if (reply.text !== undefined) {
        response.writeHead(reply.status, { 'content-type': 'text/plain; version=0.0.4' }).end(reply.text);
      } else if (reply.body === undefined) {
        response.writeHead(reply.status).end();
      } else {
        const body = JSON.stringify(reply.body);
        response
          .writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(body);
      }
    };
    route(context, request, url.pathname, url.searchParams).then(done, (error: unknown) =>
      done(errorReply(error)),
    );
  });
}

/**
 * Starts the server on `host:port` (0: a free port) and resolves with its URL.
 *
 * @example
 * ```ts
 * const { url, close } = await listenMeshServer(context, { port: 0 });
 * ```
 */
export async function listenMeshServer(
  context: MeshApiContext,
  options: { host?: string; port?: number } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createMeshServer(context);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
