/**
 * PaymentService: the seed's payment flow. The fraud check (`payment->fraud`: breaker, 300 ms) and the inventory
 * lock (`inventory-lock`: 5 jittered retries, 2 s) run in parallel; then the atomic transfer in PaymentDB, the
 * notification (`notification`: no retry, 5 s) and the confirmation. A refused or failed payment gives its
 * inventory reservation back.
 *
 * @module
 */
import { type Bus, isSwitchboardError, SwitchboardError } from '../../src/index.js';
import type { PaymentMessages, PaymentOutcome, PaymentReplies, PaymentRequest } from './contracts.js';
import type { PaymentDb } from './databases.js';
import { type Edge, type ProtocolMatrixOptions, protocolMatrix } from './protocol-matrix.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';

/** Options of {@link startPaymentService}. */
export interface PaymentServiceOptions {
  readonly deployment: PaymentsDeployment;
  readonly db: PaymentDb;
  readonly matrix?: ProtocolMatrixOptions;
}

/** A running PaymentService. */
export interface PaymentService {
  readonly bus: Bus<PaymentMessages>;
  /** The policies of its outgoing edges (the breaker's state is visible here). */
  readonly edges: { readonly fraud: Edge; readonly inventory: Edge; readonly notification: Edge };
  close(): Promise<void>;
}

/**
 * Starts PaymentService.
 *
 * @example
 * ```ts
 * const payments = await startPaymentService({ deployment, db: new PaymentDb(SAMPLE.accounts) });
 * ```
 */
export async function startPaymentService(options: PaymentServiceOptions): Promise<PaymentService> {
  const bus = serviceBus(options.deployment, 'payment-service');
  const matrix = protocolMatrix(options.matrix);
  const edges = {
    fraud: matrix['payment->fraud'],
    inventory: matrix['inventory-lock'],
    notification: matrix.notification,
  };
  const call = <K extends keyof PaymentReplies & keyof PaymentMessages>(
    edge: Edge,
    type: K,
    data: PaymentMessages[K],
  ): Promise<PaymentReplies[K]> =>
    edge.execute(({ signal }) =>
      // The request's own timeout is a backstop; the edge's timeout aborts it through the signal first.
      bus.request<K, PaymentReplies[K]>(type, data, { signal, timeoutMs: edge.timeout.duration + 1_000 }),
    );

  const pay = async (request: PaymentRequest): Promise<PaymentOutcome> => {
    const { paymentId, userId, amountMinor } = request;
    if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
      throw new SwitchboardError('SWB_ENVELOPE_INVALID', 'amountMinor must be a positive integer', {
        details: { field: 'amountMinor' },
      });
    }
    const [fraud, lock] = await Promise.allSettled([
      call(edges.fraud, 'fraud.verify.v1', { paymentId, userId, amountMinor }),
      call(edges.inventory, 'inventory.lock.v1', { paymentId, items: request.items }),
    ]);
    const locked = lock.status === 'fulfilled' && lock.value.locked;
    const release = async (): Promise<void> => {
      if (locked) await bus.request('inventory.release.v1', { paymentId }, { timeoutMs: 2_000 });
    };
    if (fraud.status === 'rejected' || lock.status === 'rejected') {
      await release();
      throw upstreamError(
        fraud.status === 'rejected' ? fraud.reason : (lock as PromiseRejectedResult).reason,
      );
    }
    if (!fraud.value.passed) {
      await release();
      return { status: 'rejected', paymentId, reason: 'FRAUD_SUSPECTED' };
    }
    if (!locked) return { status: 'rejected', paymentId, reason: 'OUT_OF_STOCK' };
    const receiptId = options.db.transfer(paymentId, userId, request.merchantId, BigInt(amountMinor));
    if (receiptId === undefined) {
      await release();
      return { status: 'rejected', paymentId, reason: 'INSUFFICIENT_FUNDS' };
    }
    let notified = true;
    try {
      await call(edges.notification, 'notification.send.v1', {
        userId,
        paymentId,
        text: `Payment ${paymentId} of ${amountMinor} ${request.currency} confirmed`,
      });
    } catch {
      // The money has moved: a lost notification does not undo the payment.
      notified = false;
    }
    return {
      status: 'confirmed',
      paymentId,
      receiptId,
      reservationId: lock.value.reservationId,
      riskScore: fraud.value.riskScore,
      notified,
    };
  };

  await bus.respond('payment.process.v1', (request) => pay(request.data));
  await bus.respond('payment.health.v1', () =>
    serviceStats('payment', bus, {
      'payment-db': 'healthy',
      'breaker:payment->fraud': edges.fraud.breaker!.stateName === 'closed' ? 'healthy' : 'degraded',
    }),
  );
  return { bus, edges, close: () => bus.close() };
}

/** An open breaker stays `SWB_CIRCUIT_OPEN` (the gateway's 503); anything else keeps its code. */
function upstreamError(error: unknown): unknown {
  if (isSwitchboardError(error, 'SWB_CIRCUIT_HALF_OPEN_REJECTED')) {
    return new SwitchboardError('SWB_CIRCUIT_OPEN', error.message, { retryable: true, cause: error });
  }
  return error;
}
