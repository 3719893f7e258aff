/**
 * InventoryService: `LockInventory` reserves stock with `SELECT ... FOR UPDATE` in InventoryDB, and publishes the
 * new stock as search index updates (seed 001: Inventory -> Stock Changes -> Search).
 *
 * @module
 */
import type { Bus } from '../../src/index.js';
import type { PaymentMessages } from './contracts.js';
import type { InventoryDb } from './databases.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';

/** Options of {@link startInventoryService}. */
export interface InventoryServiceOptions {
  readonly deployment: PaymentsDeployment;
  readonly db: InventoryDb;
  /** Records `inventory:start` / `inventory:end`. */
  readonly trace?: string[];
}

/**
 * Starts InventoryService.
 *
 * @example
 * ```ts
 * const inventory = await startInventoryService({ deployment, db: new InventoryDb(SAMPLE.products) });
 * ```
 */
export async function startInventoryService(
  options: InventoryServiceOptions,
): Promise<{ bus: Bus<PaymentMessages>; close(): Promise<void> }> {
  const bus = serviceBus(options.deployment, 'inventory-service');
  const { db } = options;
  await bus.respond('inventory.lock.v1', async (request, { signal }) => {
    options.trace?.push('inventory:start');
    try {
      const { paymentId, items } = request.data;
      const locked = await db.lockForUpdate(paymentId, items, signal);
      if (locked) {
        // Index updates are asynchronous: the lock does not wait for the search index.
        await Promise.all(
          items.map((item) => {
            const doc = db.get(item.sku)!;
            return bus.publish('search.index.update.v1', doc, { key: doc.sku });
          }),
        );
      }
      return { locked, reservationId: locked ? `rsv-${paymentId}` : '' };
    } finally {
      options.trace?.push('inventory:end');
    }
  });
  await bus.respond('inventory.release.v1', async (request) => {
    const items = db.reservation(request.data.paymentId) ?? [];
    const released = db.release(request.data.paymentId);
    await Promise.all(
      items.map((item) => bus.publish('search.index.update.v1', db.get(item.sku)!, { key: item.sku })),
    );
    return { released };
  });
  await bus.respond('inventory.health.v1', () =>
    serviceStats('inventory', bus, { 'inventory-db': 'healthy' }),
  );
  return { bus, close: () => bus.close() };
}
