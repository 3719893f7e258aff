/**
 * Saga state transitions as bus messages (`saga.started`, `saga.step.completed`, ...), published in order per
 * saga run, keyed by the saga id and chained by causation, so the run can be followed and audited.
 *
 * @module
 */
import type { PublishOptions } from '../bus/types.js';
import { isSwitchboardError } from '../errors.js';
import type { PersistedError } from './store.js';
import type { SagaEventName } from './types.js';

/** The type of a saga message: `saga.` and the transition (`saga.step.completed`). */
export type SagaMessageType = `saga.${SagaEventName}`;

/**
 * The saga messages as a message map, for a typed bus: `createBus<MyEvents & SagaMessageMap>(...)`.
 *
 * @example
 * ```ts
 * import type { SagaMessageMap } from 'switchboard/saga';
 *
 * interface MeshEvents extends SagaMessageMap {
 *   'agent.spawned.v1': { agentId: string };
 * }
 * const bus = createBus<MeshEvents>({ transport, source: 'orchestrator', routes: { 'saga.started': 'saga-events' } });
 * createSaga(definition, { publisher: bus });
 * ```
 */
export type SagaMessageMap = { readonly [K in SagaMessageType]: SagaMessage };

/**
 * Anything that publishes like the bus: `createBus()` fits (a typed bus when its map includes
 * {@link SagaMessageMap}). The result's `envelope.id` becomes the causation id of the run's next message.
 */
export interface SagaPublisher {
  publish(
    type: SagaMessageType,
    data: SagaMessage,
    options?: PublishOptions,
  ): Promise<{ readonly envelope: { readonly id: string } }>;
}

/**
 * The payload of a `saga.*` message. Facts about the run only: never the saga's input or step results.
 */
export interface SagaMessage {
  readonly sagaId: string;
  readonly saga: string;
  /** The transition (`step.completed`); the message type is `saga.` and this. */
  readonly event: SagaEventName;
  /** RFC 3339 time of the transition. */
  readonly at: string;
  readonly step?: string;
  readonly index?: number;
  readonly steps?: readonly string[];
  readonly attempts?: number;
  readonly durationMs?: number;
  readonly timedOut?: boolean;
  readonly resumed?: boolean;
  readonly error?: PersistedError;
  readonly failures?: readonly (PersistedError & { readonly step: string; readonly attempts: number })[];
}

/** An error as it is persisted and published: code and message, nothing else. */
export function persistedError(error: unknown): PersistedError {
  if (isSwitchboardError(error)) return { code: error.code, message: error.message };
  return { code: 'SWB_HANDLER_FAILED', message: error instanceof Error ? error.message : String(error) };
}

/** Turns an event payload into a message: errors become `{ code, message }`, and the time is stamped. */
export function toSagaMessage(event: SagaEventName, payload: Readonly<Record<string, unknown>>): SagaMessage {
  const message: Record<string, unknown> = { event, at: new Date().toISOString() };
  for (const [name, value] of Object.entries(payload)) {
    if (name === 'error') message.error = persistedError(value);
    else if (name === 'failures') {
      message.failures = (value as readonly { step: string; error: unknown; attempts: number }[]).map(
        (f) => ({
          step: f.step,
          attempts: f.attempts,
          ...persistedError(f.error),
        }),
      );
    } else message[name] = value;
  }
  return message as unknown as SagaMessage;
}

/** Publishes one run's messages one after another, each caused by the one before. */
export class SagaMessageChain {
  #tail: Promise<void> = Promise.resolve();
  #previousId: string | undefined = undefined;

  constructor(
    private readonly publisher: SagaPublisher,
    private readonly sagaId: string,
    private readonly correlationId: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues a message behind the ones before it; a failed publish is reported and the chain goes on. */
  push(message: SagaMessage): void {
    this.#tail = this.#tail.then(async () => {
      try {
        const options: PublishOptions = {
          key: this.sagaId,
          correlationId: this.correlationId,
          ...(this.#previousId === undefined ? {} : { causationId: this.#previousId }),
        };
        const result = await this.publisher.publish(`saga.${message.event}`, message, options);
        this.#previousId = result.envelope.id;
      } catch (error) {
        this.onError(error);
      }
    });
  }

  /** Resolves once every queued message was published (or reported as failed). */
  flush(): Promise<void> {
    return this.#tail;
  }
}
