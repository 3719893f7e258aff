/**
 * A first-in first-out queue with O(1) push and shift (an array with a moving head, compacted now and then), for
 * the consumer's hot path where `Array.prototype.shift` would be O(n).
 *
 * @internal
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of queued items. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts an item in front of the others (a redelivery that must not wait behind newer messages). */
  unshift(item: T): void {
    if (this.#head > 0) {
      this.#head--;
      this.#items[this.#head] = item;
    } else {
      this.#items.unshift(item);
    }
  }

  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes every item for which `drop` returns true, keeping the order of the rest. */
  removeWhere(drop: (item: T) => boolean): void {
    const kept: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (!drop(item)) kept.push(item);
    }
    this.#items = kept;
    this.#head = 0;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T;
  }
}
