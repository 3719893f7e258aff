/**
 * The search index (seed 001's Elasticsearch): written by the queue service's indexer, read by the search
 * service.
 *
 * @module
 */
import type { IndexDocument } from './contracts.js';

/**
 * Documents by SKU.
 *
 * @example
 * ```ts
 * const index = new SearchIndex();
 * index.put({ sku: 'sku-lamp', title: 'Desk lamp', stock: 3 });
 * index.search('lamp'); // [{ sku: 'sku-lamp', ... }]
 * ```
 */
export class SearchIndex {
  readonly #documents = new Map<string, IndexDocument>();

  /** Adds or replaces a document. */
  put(document: IndexDocument): void {
    this.#documents.set(document.sku, document);
  }

  /** A document by SKU. */
  get(sku: string): IndexDocument | undefined {
    return this.#documents.get(sku);
  }

  /** Documents whose title contains every word of `query` (case-insensitive), by SKU. */
  search(query: string): IndexDocument[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return [...this.#documents.values()]
      .filter((d) => words.every((w) => d.title.toLowerCase().includes(w)))
      .sort((a, b) => a.sku.localeCompare(b.sku));
  }
}
