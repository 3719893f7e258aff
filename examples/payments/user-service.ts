/**
 * UserService: `GetUserProfile` from the cache when it has the profile, else from UserDB (seed 000's cache hit
 * / cache miss branches).
 *
 * @module
 */
import type { Bus } from '../../src/index.js';
import type { PaymentMessages, UserProfile } from './contracts.js';
import type { UserDb } from './databases.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';

/** Options of {@link startUserService}. */
export interface UserServiceOptions {
  readonly deployment: PaymentsDeployment;
  readonly db: UserDb;
  /** How long a cached profile is served, ms. Default 60 000. */
  readonly cacheTtlMs?: number;
}

/** A running UserService. */
export interface UserService {
  readonly bus: Bus<PaymentMessages>;
  /** Cache hits and misses so far. */
  readonly cacheStats: { hits: number; misses: number };
  close(): Promise<void>;
}

/**
 * Starts UserService.
 *
 * @example
 * ```ts
 * const users = await startUserService({ deployment, db: new UserDb(SAMPLE.users) });
 * ```
 */
export async function startUserService(options: UserServiceOptions): Promise<UserService> {
  const bus = serviceBus(options.deployment, 'user-service');
  const ttl = options.cacheTtlMs ?? 60_000;
  const cache = new Map<string, { profile: UserProfile; expiresAt: number }>();
  const cacheStats = { hits: 0, misses: 0 };
  await bus.respond('user.profile.get.v1', async (request, { signal }) => {
    const { userId } = request.data;
    const cached = cache.get(userId);
    if (cached !== undefined && cached.expiresAt > Date.now()) {
      cacheStats.hits++;
      return { profile: cached.profile, source: 'cache' as const };
    }
    cacheStats.misses++;
    const profile = await options.db.read(userId, signal);
    if (profile === undefined) return { profile: null, source: 'database' as const };
    cache.set(userId, { profile, expiresAt: Date.now() + ttl });
    return { profile, source: 'database' as const };
  });
  await bus.respond('user.health.v1', () =>
    serviceStats('user', bus, { 'user-db': 'healthy', cache: 'healthy' }),
  );
  return { bus, cacheStats, close: () => bus.close() };
}
