/**
 * NotificationService: `NotifyUser` and its `NotificationAck`. It keeps the last notifications and a count.
 *
 * @module
 */
import type { Bus } from '../../src/index.js';
import type { PaymentMessages } from './contracts.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';

/** A running NotificationService; `delayMs` plays a slow push gateway. */
export interface NotificationService {
  readonly bus: Bus<PaymentMessages>;
  /** The last 100 notifications. */
  readonly sent: { userId: string; paymentId: string; text: string }[];
  total: number;
  delayMs: number;
  close(): Promise<void>;
}

/**
 * Starts NotificationService.
 *
 * @example
 * ```ts
 * const notifications = await startNotificationService({ deployment });
 * ```
 */
export async function startNotificationService(options: {
  readonly deployment: PaymentsDeployment;
}): Promise<NotificationService> {
  const bus = serviceBus(options.deployment, 'notification-service');
  const service: NotificationService = { bus, sent: [], total: 0, delayMs: 0, close: () => bus.close() };
  await bus.respond('notification.send.v1', async (request) => {
    if (service.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, service.delayMs));
    service.total++;
    service.sent.push({ ...request.data });
    if (service.sent.length > 100) service.sent.shift();
    return { ack: true as const, channel: 'push' };
  });
  await bus.respond('notification.health.v1', () => serviceStats('notification', bus, { push: 'healthy' }));
  return service;
}
