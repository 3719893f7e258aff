/**
 * FraudService: `VerifyFraud` asks the queue service to `AnalyzePatterns` and passes payments whose risk score
 * is below the threshold (seed 000: `RiskScore(0.02)` -> `FraudCheckPassed`).
 *
 * @module
 */
import type { Bus } from '../../src/index.js';
import type { PaymentMessages, PaymentReplies } from './contracts.js';
import { type PaymentsDeployment, serviceBus, serviceStats } from './runtime.js';

/** Options of {@link startFraudService}. */
export interface FraudServiceOptions {
  readonly deployment: PaymentsDeployment;
  /** Scores at or above this fail. Default 0.7. */
  readonly threshold?: number;
  /** Records `fraud:start` / `fraud:end`, to show the check runs in parallel with the inventory lock. */
  readonly trace?: string[];
}

/** A running FraudService; `delayMs` plays a slow fraud engine. */
export interface FraudService {
  readonly bus: Bus<PaymentMessages>;
  delayMs: number;
  calls: number;
  close(): Promise<void>;
}

/**
 * Starts FraudService.
 *
 * @example
 * ```ts
 * const fraud = await startFraudService({ deployment });
 * ```
 */
export async function startFraudService(options: FraudServiceOptions): Promise<FraudService> {
  const bus = serviceBus(options.deployment, 'fraud-service');
  const threshold = options.threshold ?? 0.7;
  const service: FraudService = { bus, delayMs: 0, calls: 0, close: () => bus.close() };
  await bus.respond('fraud.verify.v1', async (request, { signal }) => {
    service.calls++;
    options.trace?.push('fraud:start');
    try {
      if (service.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, service.delayMs));
      const { riskScore } = await bus.request<'queue.analyze.v1', PaymentReplies['queue.analyze.v1']>(
        'queue.analyze.v1',
        { userId: request.data.userId, amountMinor: request.data.amountMinor },
        { timeoutMs: 250, signal },
      );
      return { passed: riskScore < threshold, riskScore };
    } finally {
      options.trace?.push('fraud:end');
    }
  });
  await bus.respond('fraud.health.v1', () => serviceStats('fraud', bus, { model: 'healthy' }));
  return service;
}
