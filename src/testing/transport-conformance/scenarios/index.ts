/**
 * Every conformance scenario, in the order of {@link CONFORMANCE_TESTS}.
 *
 * @module
 */
import { CONFORMANCE_TESTS } from '../names.js';
import type { Scenario } from '../scenario.js';
import {
  continueAfterErrors,
  nackWithDelayHonoured,
  noSecondDeliveryWhileUnacked,
  resendOnNack,
} from './acknowledgement.js';
import { slowConsumerMemoryBounded } from './capacity.js';
import {
  manyTopicsConcurrently,
  newSubscriberReceivesOldMessages,
  publishThenSubscribe,
  topicIsolation,
} from './delivery.js';
import { concurrentSubscribe, consumerGroups, continueAfterSubscriberClose } from './groups.js';
import { headerValuesIntact } from './headers.js';
import {
  concurrentClose,
  deliverySignalAbortedOnClose,
  drainUnderLoad,
  pauseAndResume,
  publisherCloseFlushes,
  subscriptionAbort,
} from './lifecycle.js';
import { perKeyOrder } from './ordering.js';
import { reconnect } from './reconnect.js';

const byName = new Map<string, Scenario>(
  [
    publishThenSubscribe,
    concurrentSubscribe,
    manyTopicsConcurrently,
    resendOnNack,
    noSecondDeliveryWhileUnacked,
    continueAfterSubscriberClose,
    continueAfterErrors,
    topicIsolation,
    newSubscriberReceivesOldMessages,
    consumerGroups,
    nackWithDelayHonoured,
    perKeyOrder,
    concurrentClose,
    publisherCloseFlushes,
    deliverySignalAbortedOnClose,
    subscriptionAbort,
    drainUnderLoad,
    pauseAndResume,
    slowConsumerMemoryBounded,
    headerValuesIntact,
    reconnect,
  ].map((scenario) => [scenario.name, scenario]),
);

/** Every scenario, in suite order. */
export const SCENARIOS: readonly Scenario[] = CONFORMANCE_TESTS.map((name) => {
  const scenario = byName.get(name);
  if (scenario === undefined) throw new Error(`conformance scenario ${name} is not registered`);
  return scenario;
});
