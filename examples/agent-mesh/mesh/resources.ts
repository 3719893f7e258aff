/**
 * The compute the mesh spawns agents on: a pool with a fixed capacity, reserved per agent and released again.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { permanentError } from '../../../src/index.js';

/** CPU and memory. */
export interface Resources {
  readonly cpu: number;
  readonly memoryMb: number;
}

/**
 * A resource pool. Reserving more than is free fails permanently (no retry frees capacity); releasing is
 * idempotent, as a compensation must be.
 *
 * @example
 * ```ts
 * const pool = new ResourcePool({ cpu: 32, memoryMb: 65_536 });
 * const id = pool.reserve('agent-1', { cpu: 2, memoryMb: 4096 });
 * pool.release(id);
 * ```
 */
export class ResourcePool {
  readonly #reservations = new Map<string, { agentId: string; resources: Resources }>();

  constructor(readonly capacity: Resources = { cpu: 32, memoryMb: 65_536 }) {}

  /** What is not reserved. */
  available(): Resources {
    let cpu = this.capacity.cpu;
    let memoryMb = this.capacity.memoryMb;
    for (const { resources } of this.#reservations.values()) {
      cpu -= resources.cpu;
      memoryMb -= resources.memoryMb;
    }
    return { cpu, memoryMb };
  }

  /** Reserves resources for an agent; returns the reservation id. */
  reserve(agentId: string, resources: Resources): string {
    const free = this.available();
    if (resources.cpu > free.cpu || resources.memoryMb > free.memoryMb) {
      throw permanentError('insufficient resources', {
        details: { agentId, wantedCpu: resources.cpu, freeCpu: free.cpu },
      });
    }
    const id = `res-${randomUUID()}`;
    this.#reservations.set(id, { agentId, resources });
    return id;
  }

  /** Releases a reservation; releasing one that is gone is fine. */
  release(reservationId: string): void {
    this.#reservations.delete(reservationId);
  }

  /** Reservations held, by id. */
  reservations(): ReadonlyMap<string, { agentId: string; resources: Resources }> {
    return this.#reservations;
  }
}
