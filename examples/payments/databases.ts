/**
 * The seed's databases, small and in memory: AuthDB (JWT key material), UserDB (profiles), PaymentDB (accounts,
 * atomic transfers) and InventoryDB (stock, `SELECT ... FOR UPDATE` locks). Each can play slowness or failures.
 *
 * @module
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import { SwitchboardError } from '../../src/index.js';
import { sleep } from '../shared/sleep.js';
import type { IndexDocument, OrderItem, UserProfile } from './contracts.js';

function unavailable(what: string): SwitchboardError {
  return new SwitchboardError('SWB_STORE_UNAVAILABLE', `${what} is unavailable`, { retryable: true });
}

/** AuthDB: the EdDSA key pair tokens are signed with (seed 000's `SELECT jwt_secrets`). */
export class AuthDb {
  /** Reads that fail before one succeeds (transient failures). */
  failNext = 0;
  /** Extra latency of each read, ms. */
  latencyMs = 1;
  /** Reads made. */
  reads = 0;
  /** Seed 000's `Lag{0.4ms}`. */
  readonly replicationLagMs = 0.4;
  readonly #keys: { privateKey: CryptoKey; publicJwk: JWK; kid: string };

  private constructor(keys: { privateKey: CryptoKey; publicJwk: JWK; kid: string }) {
    this.#keys = keys;
  }

  /** Creates the database with a fresh Ed25519 key pair. */
  static async create(): Promise<AuthDb> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const publicJwk = { ...(await exportJWK(publicKey)), alg: 'EdDSA', use: 'sig', kid: 'auth-1' };
    return new AuthDb({ privateKey, publicJwk, kid: 'auth-1' });
  }

  /** `SELECT jwt_secrets`: the signing key. */
  async selectJwtSecrets(signal?: AbortSignal): Promise<{ privateKey: CryptoKey; kid: string }> {
    this.reads++;
    await sleep(this.latencyMs, signal);
    if (this.failNext > 0) {
      this.failNext--;
      throw unavailable('AuthDB');
    }
    return { privateKey: this.#keys.privateKey, kid: this.#keys.kid };
  }

  /** The public key as a JWK set. */
  publicKeys(): JWK[] {
    return [this.#keys.publicJwk];
  }
}

/** UserDB: profiles (seed 000's "postgres" side of the cache). */
export class UserDb {
  /** Extra latency of each read, ms. */
  latencyMs = 2;
  /** Reads made. */
  reads = 0;
  /** Reads that fail before one succeeds. */
  failNext = 0;
  readonly #profiles = new Map<string, UserProfile>();

  constructor(profiles: readonly UserProfile[]) {
    for (const p of profiles) this.#profiles.set(p.userId, p);
  }

  /** `ConsistentRead`. */
  async read(userId: string, signal?: AbortSignal): Promise<UserProfile | undefined> {
    this.reads++;
    await sleep(this.latencyMs, signal);
    if (this.failNext > 0) {
      this.failNext--;
      throw unavailable('UserDB');
    }
    return this.#profiles.get(userId);
  }
}

/** PaymentDB: account balances in minor units; transfers are atomic and idempotent per payment. */
export class PaymentDb {
  readonly #accounts = new Map<string, bigint>();
  readonly #receipts = new Map<string, string>();

  constructor(accounts: Readonly<Record<string, bigint>>) {
    for (const [id, minor] of Object.entries(accounts)) this.#accounts.set(id, minor);
  }

  /** A balance. */
  balance(accountId: string): bigint {
    return this.#accounts.get(accountId) ?? 0n;
  }

  /**
   * `AtomicTransfer`: both postings or neither, once per payment id. Runs synchronously, so nothing can
   * interleave between the check and the postings.
   *
   * @returns the receipt id, or `undefined` when the payer cannot cover it.
   */
  transfer(paymentId: string, from: string, to: string, amountMinor: bigint): string | undefined {
    const known = this.#receipts.get(paymentId);
    if (known !== undefined) return known;
    const payer = this.balance(from);
    if (payer < amountMinor) return undefined;
    this.#accounts.set(from, payer - amountMinor);
    this.#accounts.set(to, this.balance(to) + amountMinor);
    const receipt = `rcpt-${paymentId}`;
    this.#receipts.set(paymentId, receipt);
    return receipt;
  }
}

/** InventoryDB: stock per SKU and reservations per payment. */
export class InventoryDb {
  /** Lock attempts that fail as contended before one succeeds (retryable). */
  contendedNext = 0;
  /** Extra latency of each lock, ms. */
  latencyMs = 2;
  /** Lock attempts made. */
  attempts = 0;
  readonly #stock = new Map<string, IndexDocument>();
  readonly #reservations = new Map<string, readonly OrderItem[]>();

  constructor(documents: readonly IndexDocument[]) {
    for (const d of documents) this.#stock.set(d.sku, d);
  }

  /** A SKU's stock. */
  get(sku: string): IndexDocument | undefined {
    return this.#stock.get(sku);
  }

  /**
   * `SELECT ... FOR UPDATE`: reserves every item or none. Resolves `false` when stock is short; rejects with a
   * retryable error when the rows are locked by someone else.
   */
  async lockForUpdate(
    paymentId: string,
    items: readonly OrderItem[],
    signal?: AbortSignal,
  ): Promise<boolean> {
    this.attempts++;
    await sleep(this.latencyMs, signal);
    if (this.contendedNext > 0) {
      this.contendedNext--;
      throw new SwitchboardError('SWB_STORE_UNAVAILABLE', 'inventory rows are locked', { retryable: true });
    }
    if (this.#reservations.has(paymentId)) return true;
    for (const item of items) if ((this.#stock.get(item.sku)?.stock ?? 0) < item.quantity) return false;
    for (const item of items) {
      const doc = this.#stock.get(item.sku)!;
      this.#stock.set(item.sku, { ...doc, stock: doc.stock - item.quantity });
    }
    this.#reservations.set(paymentId, items);
    return true;
  }

  /** The items reserved for a payment. */
  reservation(paymentId: string): readonly OrderItem[] | undefined {
    return this.#reservations.get(paymentId);
  }

  /** Gives a reservation back. */
  release(paymentId: string): boolean {
    const items = this.#reservations.get(paymentId);
    if (items === undefined) return false;
    for (const item of items) {
      const doc = this.#stock.get(item.sku)!;
      this.#stock.set(item.sku, { ...doc, stock: doc.stock + item.quantity });
    }
    this.#reservations.delete(paymentId);
    return true;
  }
}

/** Sample data: users, accounts and products. */
export const SAMPLE = {
  users: [
    { userId: 'ada', name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
    { userId: 'bob', name: 'Bob Dylan', email: 'bob@example.com', tier: 'standard' },
  ] satisfies UserProfile[],
  accounts: { ada: 100_000n, bob: 5_000n, 'merchant-1': 0n } as Record<string, bigint>,
  products: [
    { sku: 'sku-lamp', title: 'Desk lamp', stock: 1_000_000 },
    { sku: 'sku-chair', title: 'Office chair', stock: 3 },
  ] satisfies IndexDocument[],
};
