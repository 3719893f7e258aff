/**
 * Every service of seed 000's payment flow in one process, each on its own bus, over one deployment (the
 * in-memory broker or NATS): gateway, auth, user, payment, fraud, inventory, notification, search, queue and
 * observability's health loop.
 *
 * @module
 */
import { type AuthServiceOptions, startAuthService } from './auth-service.js';
import { AuthDb, InventoryDb, PaymentDb, SAMPLE, UserDb } from './databases.js';
import { type FraudService, startFraudService } from './fraud-service.js';
import { type Gateway, startGateway } from './gateway.js';
import { type HealthLoop, startHealthLoop } from './health-loop.js';
import { startInventoryService } from './inventory-service.js';
import { type NotificationService, startNotificationService } from './notification-service.js';
import { type PaymentService, startPaymentService } from './payment-service.js';
import type { ProtocolMatrixOptions } from './protocol-matrix.js';
import { type QueueService, startQueueService } from './queue-service.js';
import { type Closeable, type PaymentsDeployment, paymentsDeployment } from './runtime.js';
import { SearchIndex } from './search-index.js';
import { type SearchService, startSearchService } from './search-service.js';
import { startUserService, type UserService } from './user-service.js';

/** Options of {@link startPaymentsPlatform}. */
export interface PlatformOptions {
  /** Default: a new in-memory deployment. */
  readonly deployment?: PaymentsDeployment;
  /** Policy settings; `searchIndexTimeoutMs` is the failure mode's 5 s. */
  readonly matrix?: ProtocolMatrixOptions;
  /** Health loop interval, ms. Default 100. */
  readonly healthIntervalMs?: number;
  /** Gateway port. Default 0 (a free one). */
  readonly port?: number;
  /** Index updates: deliveries before dead-lettering and the delay between them. */
  readonly indexMaxDeliveries?: number;
  readonly indexRedeliveryDelayMs?: number;
  /** Receives `fraud:start`, `inventory:end`, ... as they happen. */
  readonly trace?: string[];
  readonly tokenTtl?: AuthServiceOptions['tokenTtl'];
}

/** The running platform. */
export interface PaymentsPlatform {
  readonly deployment: PaymentsDeployment;
  readonly gateway: Gateway;
  readonly health: HealthLoop;
  readonly db: { auth: AuthDb; users: UserDb; payments: PaymentDb; inventory: InventoryDb };
  readonly index: SearchIndex;
  readonly services: {
    readonly user: UserService;
    readonly payment: PaymentService;
    readonly fraud: FraudService;
    readonly notification: NotificationService;
    readonly search: SearchService;
    readonly queue: QueueService;
  };
  close(): Promise<void>;
}

/**
 * Starts the platform.
 *
 * @example
 * ```ts
 * const platform = await startPaymentsPlatform({ matrix: { searchIndexTimeoutMs: 5_000 } });
 * console.log(platform.gateway.url);
 * await platform.close();
 * ```
 */
export async function startPaymentsPlatform(options: PlatformOptions = {}): Promise<PaymentsPlatform> {
  const deployment = options.deployment ?? paymentsDeployment();
  const matrix = options.matrix ?? {};
  const db = {
    auth: await AuthDb.create(),
    users: new UserDb(SAMPLE.users),
    payments: new PaymentDb(SAMPLE.accounts),
    inventory: new InventoryDb(SAMPLE.products),
  };
  const index = new SearchIndex();
  for (const product of SAMPLE.products) index.put(product);
  const started: Closeable[] = [];
  const track = <T extends Closeable>(service: T): T => {
    started.push(service);
    return service;
  };
  const closeAll = async (): Promise<void> => {
    // Front first, so nothing new comes in while the back ends drain.
    for (const service of started.reverse()) await service.close();
  };
  try {
    track(
      await startAuthService({
        deployment,
        db: db.auth,
        matrix,
        ...(options.tokenTtl === undefined ? {} : { tokenTtl: options.tokenTtl }),
      }),
    );
    const queue = track(
      await startQueueService({
        deployment,
        index,
        indexTimeoutMs: matrix.searchIndexTimeoutMs ?? 5_000,
        ...(options.indexMaxDeliveries === undefined ? {} : { maxDeliveries: options.indexMaxDeliveries }),
        ...(options.indexRedeliveryDelayMs === undefined
          ? {}
          : { redeliveryDelayMs: options.indexRedeliveryDelayMs }),
      }),
    );
    const user = track(await startUserService({ deployment, db: db.users }));
    const fraud = track(
      await startFraudService({
        deployment,
        ...(options.trace === undefined ? {} : { trace: options.trace }),
      }),
    );
    track(
      await startInventoryService({
        deployment,
        db: db.inventory,
        ...(options.trace === undefined ? {} : { trace: options.trace }),
      }),
    );
    const notification = track(await startNotificationService({ deployment }));
    const search = track(await startSearchService({ deployment, index, matrix }));
    const payment = track(await startPaymentService({ deployment, db: db.payments, matrix }));
    const health = track(await startHealthLoop({ deployment, intervalMs: options.healthIntervalMs ?? 100 }));
    const gateway = track(
      await startGateway({
        deployment,
        health,
        matrix,
        ...(options.port === undefined ? {} : { port: options.port }),
      }),
    );
    return {
      deployment,
      gateway,
      health,
      db,
      index,
      services: { user, payment, fraud, notification, search, queue },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
