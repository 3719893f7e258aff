/**
 * The messages of the payment flow (seed 000) and the topics they travel on.
 *
 * @module
 */

/** The services of seed 000 that answer over the bus. */
export const PAYMENT_SERVICES = [
  'auth',
  'user',
  'payment',
  'fraud',
  'inventory',
  'notification',
  'search',
  'queue',
] as const;
/** One of {@link PAYMENT_SERVICES}. */
export type PaymentServiceName = (typeof PAYMENT_SERVICES)[number];

/** A line of an order. */
export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
}

/** The seed's `PaymentRequest{$$}`; money in integer minor units. */
export interface PaymentRequest {
  readonly paymentId: string;
  readonly userId: string;
  readonly merchantId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly items: readonly OrderItem[];
}

/** The seed's `PaymentConfirmation`, or why the payment was refused. */
export type PaymentOutcome =
  | {
      readonly status: 'confirmed';
      readonly paymentId: string;
      readonly receiptId: string;
      readonly reservationId: string;
      readonly riskScore: number;
      readonly notified: boolean;
    }
  | {
      readonly status: 'rejected';
      readonly paymentId: string;
      readonly reason: 'FRAUD_SUSPECTED' | 'OUT_OF_STOCK' | 'INSUFFICIENT_FUNDS';
    };

/** A user profile. */
export interface UserProfile {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly tier: 'standard' | 'gold';
}

/** A service's answer to the health loop (seed 000's `Stats{cpu: 12%}`, `Stats{mem: 1.2GB}`, `Lag{0.4ms}`). */
export interface ServiceStats {
  readonly service: string;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly cpuPercent: number;
  readonly heapUsedMb: number;
  readonly dependencies: Readonly<Record<string, string>>;
  /** Replication lag of the service's database, when it has one. */
  readonly replicationLagMs?: number;
}

/** An operations alert (seed 000's `alert("search.timeout")`). */
export interface OpsAlert {
  readonly name: string;
  readonly severity: 'warning' | 'critical';
  readonly service: string;
  readonly traceId?: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

/** A document of the search index. */
export interface IndexDocument {
  readonly sku: string;
  readonly title: string;
  readonly stock: number;
}

/** Every message type with its payload. */
export interface PaymentMessages {
  'auth.token.issue.v1': { readonly userId: string };
  'auth.jwks.get.v1': Record<string, never>;
  'user.profile.get.v1': { readonly userId: string };
  'payment.process.v1': PaymentRequest;
  'fraud.verify.v1': { readonly paymentId: string; readonly userId: string; readonly amountMinor: number };
  'queue.analyze.v1': { readonly userId: string; readonly amountMinor: number };
  'inventory.lock.v1': { readonly paymentId: string; readonly items: readonly OrderItem[] };
  'inventory.release.v1': { readonly paymentId: string };
  'notification.send.v1': { readonly userId: string; readonly paymentId: string; readonly text: string };
  'search.query.v1': { readonly query: string; readonly traceId: string };
  'queue.index.sync.v1': { readonly traceId: string };
  'search.index.update.v1': IndexDocument;
  'ops.alert.v1': OpsAlert;
  'auth.health.v1': Record<string, never>;
  'user.health.v1': Record<string, never>;
  'payment.health.v1': Record<string, never>;
  'fraud.health.v1': Record<string, never>;
  'inventory.health.v1': Record<string, never>;
  'notification.health.v1': Record<string, never>;
  'search.health.v1': Record<string, never>;
  'queue.health.v1': Record<string, never>;
}

/** Replies of the request types. */
export interface PaymentReplies {
  'auth.token.issue.v1': { readonly token: string; readonly expiresAt: string };
  'auth.jwks.get.v1': { readonly keys: readonly Record<string, unknown>[] };
  'user.profile.get.v1': { readonly profile: UserProfile | null; readonly source: 'cache' | 'database' };
  'payment.process.v1': PaymentOutcome;
  'fraud.verify.v1': { readonly passed: boolean; readonly riskScore: number };
  'queue.analyze.v1': { readonly riskScore: number };
  'inventory.lock.v1': { readonly locked: boolean; readonly reservationId: string };
  'inventory.release.v1': { readonly released: boolean };
  'notification.send.v1': { readonly ack: true; readonly channel: string };
  'search.query.v1': { readonly hits: readonly IndexDocument[] };
  'queue.index.sync.v1': { readonly pending: number };
}

/** The health request type of a service. */
export function healthType(service: PaymentServiceName): `${PaymentServiceName}.health.v1` {
  return `${service}.health.v1`;
}

/** Topic names under one prefix. */
export interface PaymentTopics {
  /** Search index updates (seed 000's Kafka path with a dead-letter queue). */
  readonly searchIndex: string;
  readonly searchIndexDlq: string;
  readonly alerts: string;
  readonly routes: Readonly<Record<string, string>>;
}

/**
 * The topics of one deployment; requests get a topic each (`payment.process.v1` -> `<prefix>payment.process`).
 *
 * @example
 * ```ts
 * const topics = paymentTopics('demo-');
 * ```
 */
export function paymentTopics(prefix = ''): PaymentTopics {
  const searchIndex = `${prefix}search-index`;
  const alerts = `${prefix}ops-alerts`;
  const routes: Record<string, string> = {
    'search.index.update.v1': searchIndex,
    'ops.alert.v1': alerts,
  };
  const requests: (keyof PaymentMessages)[] = [
    'auth.token.issue.v1',
    'auth.jwks.get.v1',
    'user.profile.get.v1',
    'payment.process.v1',
    'fraud.verify.v1',
    'queue.analyze.v1',
    'inventory.lock.v1',
    'inventory.release.v1',
    'notification.send.v1',
    'search.query.v1',
    'queue.index.sync.v1',
    ...PAYMENT_SERVICES.map(healthType),
  ];
  for (const type of requests) routes[type] = `${prefix}${type.replace(/\.v1$/, '')}`;
  return { searchIndex, searchIndexDlq: `${searchIndex}.dlq`, alerts, routes };
}
