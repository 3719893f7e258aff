/**
 * The mesh network ("mesh_networking_protocol"): agents registered as members, and meshes formed from them in
 * three phases (capabilities negotiated, connections established, state synchronised), each undoable. Faults can
 * be injected per operation to show the sagas' compensation and timeouts.
 *
 * @module
 */
import { permanentError } from '../../../src/index.js';

/** A fault to inject: fail at once, or hang until the caller's signal aborts. */
export type Fault = 'fail' | 'hang';

/** Operations faults can be injected into. */
export type MeshOperation = 'register' | 'negotiate' | 'connect' | 'synchronize';

/** How agents of a mesh connect: everyone to everyone, or each to the next. */
export type MeshTopologyKind = 'full' | 'ring';

/** A mesh as the network holds it. */
export interface MeshState {
  readonly meshId: string;
  readonly agentIds: readonly string[];
  readonly capabilities: readonly string[];
  readonly connections: number;
  readonly phase: 'negotiated' | 'connected' | 'formed';
}

/**
 * The network. Every undo is idempotent.
 *
 * @example
 * ```ts
 * const network = new MeshNetwork();
 * network.inject('connect', 'hang'); // the next connect waits for its timeout
 * ```
 */
export class MeshNetwork {
  readonly #members = new Map<string, readonly string[]>();
  readonly #meshes = new Map<string, MeshState>();
  readonly #faults = new Map<MeshOperation, Fault>();

  /** Makes the next call of `operation` fail or hang (once). */
  inject(operation: MeshOperation, fault: Fault): void {
    this.#faults.set(operation, fault);
  }

  /** Registers an agent with its capabilities. */
  async register(agentId: string, capabilities: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.#fault('register', signal);
    this.#members.set(agentId, [...capabilities]);
  }

  /** Removes an agent. */
  deregister(agentId: string): void {
    this.#members.delete(agentId);
  }

  /** Whether an agent is a member. */
  isMember(agentId: string): boolean {
    return this.#members.has(agentId);
  }

  /** Member ids. */
  members(): string[] {
    return [...this.#members.keys()];
  }

  /** Agrees on the capabilities every agent of the mesh has. */
  async negotiate(meshId: string, agentIds: readonly string[], signal?: AbortSignal): Promise<string[]> {
    await this.#fault('negotiate', signal);
    if (agentIds.length < 2)
      throw permanentError('a mesh needs at least two agents', { details: { meshId } });
    const sets = agentIds.map((id) => {
      const capabilities = this.#members.get(id);
      if (capabilities === undefined) throw permanentError('agent is not a mesh member', { details: { id } });
      return new Set(capabilities);
    });
    const common = [...sets[0]!].filter((c) => sets.every((s) => s.has(c))).sort();
    this.#meshes.set(meshId, {
      meshId,
      agentIds: [...agentIds],
      capabilities: common,
      connections: 0,
      phase: 'negotiated',
    });
    return common;
  }

  /** Forgets a negotiation. */
  resetCapabilities(meshId: string): void {
    this.#meshes.delete(meshId);
  }

  /** Connects the mesh's agents; returns the number of connections. */
  async connect(meshId: string, topology: MeshTopologyKind, signal?: AbortSignal): Promise<number> {
    await this.#fault('connect', signal);
    const mesh = this.#mesh(meshId);
    const n = mesh.agentIds.length;
    const connections = topology === 'full' ? (n * (n - 1)) / 2 : n;
    this.#meshes.set(meshId, { ...mesh, connections, phase: 'connected' });
    return connections;
  }

  /** Drops the mesh's connections. */
  terminateConnections(meshId: string): void {
    const mesh = this.#meshes.get(meshId);
    if (mesh !== undefined) this.#meshes.set(meshId, { ...mesh, connections: 0, phase: 'negotiated' });
  }

  /** Brings every agent of the mesh to one state. */
  async synchronize(meshId: string, signal?: AbortSignal): Promise<void> {
    await this.#fault('synchronize', signal);
    this.#meshes.set(meshId, { ...this.#mesh(meshId), phase: 'formed' });
  }

  /** Undoes a synchronisation. */
  rollbackState(meshId: string): void {
    const mesh = this.#meshes.get(meshId);
    if (mesh !== undefined && mesh.phase === 'formed')
      this.#meshes.set(meshId, { ...mesh, phase: 'connected' });
  }

  /** A mesh, if it exists. */
  mesh(meshId: string): MeshState | undefined {
    return this.#meshes.get(meshId);
  }

  #mesh(meshId: string): MeshState {
    const mesh = this.#meshes.get(meshId);
    if (mesh === undefined) throw permanentError('no such mesh', { details: { meshId } });
    return mesh;
  }

  async #fault(operation: MeshOperation, signal: AbortSignal | undefined): Promise<void> {
    const fault = this.#faults.get(operation);
    if (fault === undefined) return;
    this.#faults.delete(operation);
    if (fault === 'fail') throw new Error(`${operation} failed (injected)`);
    await new Promise<never>((_, reject) => {
      if (signal === undefined) return; // hangs for good: only the orchestrator's deadline ends the wait
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
}
