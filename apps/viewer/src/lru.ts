/// <reference lib="dom" />
// A least-recently-used map bounded by a total cost (bytes), used for decoded chunks and decoded slices.

export class LruCache<V> {
  readonly #entries = new Map<string, { value: V; cost: number }>()
  #total = 0

  constructor(
    readonly budget: number,
    readonly costOf: (value: V) => number,
  ) {}

  get size(): number {
    return this.#entries.size
  }

  get totalCost(): number {
    return this.#total
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry.value
  }

  set(key: string, value: V): void {
    const old = this.#entries.get(key)
    if (old !== undefined) {
      this.#total -= old.cost
      this.#entries.delete(key)
    }
    const cost = this.costOf(value)
    if (cost > this.budget) return
    this.#entries.set(key, { value, cost })
    this.#total += cost
    for (const [oldest, entry] of this.#entries) {
      if (this.#total <= this.budget) break
      this.#entries.delete(oldest)
      this.#total -= entry.cost
    }
  }

  clear(): void {
    this.#entries.clear()
    this.#total = 0
  }
}
