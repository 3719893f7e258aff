import {
  type PaymentsPlatform,
  type PlatformOptions,
  startPaymentsPlatform,
} from '../../../examples/payments/platform.js';

/** Short waits for tests: the failure mode's 5 s becomes 200 ms. */
export const FAST: PlatformOptions = {
  matrix: { searchIndexTimeoutMs: 200, fraudBreakerFailures: 2, halfOpenAfterMs: 60_000 },
  healthIntervalMs: 20,
  indexMaxDeliveries: 2,
  indexRedeliveryDelayMs: 10,
};

/** Starts the platform with {@link FAST} settings over `overrides`. */
export function startFast(overrides: PlatformOptions = {}): Promise<PaymentsPlatform> {
  return startPaymentsPlatform({ ...FAST, ...overrides, matrix: { ...FAST.matrix, ...overrides.matrix } });
}

/** A payment body. */
export function payment(paymentId: string, amountMinor: number, items = [{ sku: 'sku-lamp', quantity: 1 }]) {
  return { paymentId, merchantId: 'merchant-1', amountMinor, currency: 'USD', items };
}

/** Resolves when `check()` holds, polling every 5 ms. */
export async function until(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
