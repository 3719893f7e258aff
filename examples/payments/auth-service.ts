/**
 * AuthService: issues EdDSA JWTs signed with key material read from AuthDB (edge `auth->db`: 3 exponential
 * retries, 250 ms per attempt) and publishes its public keys for the gateway.
 *
 * @module
 */
import { metrics } from '@opentelemetry/api';
import { SignJWT } from 'jose';
import type { Bus } from '../../src/index.js';
import type { PaymentMessages } from './contracts.js';
import type { AuthDb } from './databases.js';
import { type ProtocolMatrixOptions, protocolMatrix } from './protocol-matrix.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';

/** Issuer of every token. */
export const TOKEN_ISSUER = 'auth-service';

/** Options of {@link startAuthService}. */
export interface AuthServiceOptions {
  readonly deployment: PaymentsDeployment;
  readonly db: AuthDb;
  readonly matrix?: ProtocolMatrixOptions;
  /** Token lifetime. Default `15m`. */
  readonly tokenTtl?: string;
}

/**
 * Starts AuthService.
 *
 * @example
 * ```ts
 * const auth = await startAuthService({ deployment, db: await AuthDb.create() });
 * ```
 */
export async function startAuthService(
  options: AuthServiceOptions,
): Promise<{ bus: Bus<PaymentMessages>; close(): Promise<void> }> {
  const bus = serviceBus(options.deployment, 'auth-service');
  const edge = protocolMatrix(options.matrix)['auth->db'];
  // Seed 000's log_metric("auth.latency"): a no-op until an OpenTelemetry SDK is registered.
  const latency = metrics.getMeter('payments-example').createHistogram('auth.latency', { unit: 'ms' });
  await bus.respond('auth.token.issue.v1', async (request) => {
    const started = performance.now();
    const { privateKey, kid } = await edge.execute(({ signal }) => options.db.selectJwtSecrets(signal));
    const expiresIn = options.tokenTtl ?? '15m';
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject(request.data.userId)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(privateKey);
    latency.record(performance.now() - started);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
      exp: number;
    };
    return { token, expiresAt: new Date(payload.exp * 1000).toISOString() };
  });
  await bus.respond('auth.jwks.get.v1', () => ({ keys: options.db.publicKeys() }));
  await bus.respond('auth.health.v1', () =>
    serviceStats('auth', bus, { 'auth-db': 'healthy' }, { replicationLagMs: options.db.replicationLagMs }),
  );
  return { bus, close: () => bus.close() };
}
