/**
 * The names of the transport conformance scenarios.
 *
 * @module
 */

/**
 * Every scenario of the transport conformance suite, in the order they run. The first sixteen port watermill's
 * universal pub/sub suite; the rest are Switchboard's own. Use these names in `skip`.
 *
 * @example
 * ```ts
 * runTransportConformance({
 *   name: 'my transport',
 *   create: () => myTransport(),
 *   skip: [{ tests: ['reconnect'], reason: 'the test harness cannot restart this broker' }],
 * });
 * ```
 */
export const CONFORMANCE_TESTS = [
  'publish-then-subscribe',
  'concurrent-subscribe',
  'many-topics-concurrently',
  'resend-on-nack',
  'no-second-delivery-while-unacked',
  'continue-after-subscriber-close',
  'concurrent-close',
  'continue-after-errors',
  'per-key-order',
  'publisher-close-flushes',
  'topic-isolation',
  'delivery-signal-aborted-on-close',
  'subscription-abort',
  'new-subscriber-receives-old-messages',
  'reconnect',
  'consumer-groups',
  'nack-with-delay-honoured',
  'drain-under-load',
  'pause-and-resume',
  'slow-consumer-memory-bounded',
  'header-values-intact',
] as const;

/**
 * One of {@link CONFORMANCE_TESTS}.
 *
 * @example
 * ```ts
 * const slow: ConformanceTestName[] = ['concurrent-subscribe', 'reconnect'];
 * ```
 */
export type ConformanceTestName = (typeof CONFORMANCE_TESTS)[number];
