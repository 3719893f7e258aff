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
import {
  manyTopicsConcurrently,
  newSubscriberReceivesOldMessages,
  publishThenSubscribe,
  topicIsolation,
} from './delivery.js';
import { concurrentSubscribe, consumerGroups, continueAfterSubscriberClose } from './groups.js';

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
  ].map((scenario) => [scenario.name, scenario]),
);

/** The scenarios written so far, in suite order. */
export const SCENARIOS: readonly Scenario[] = CONFORMANCE_TESTS.flatMap((name) => {
  const scenario = byName.get(name);
  return scenario === undefined ? [] : [scenario];
});
