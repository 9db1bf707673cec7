/// <reference lib="dom" />
// Coalesces draw requests: at most one draw runs; requests made meanwhile are served by one later draw of the
// then-current state. A draw that has been running for a while is aborted when a newer request arrives (chunks it
// already fetched stay cached), so fast scrolling over slow data does not queue up stale slices.

interface Waiter {
  seq: number
  resolve: () => void
  reject: (error: unknown) => void
}

const ABORT_AFTER_MS = 200

export class DrawScheduler {
  #requested = 0
  #completed = 0
  #running = false
  #controller: AbortController | null = null
  #startedAt = 0
  #waiters: Waiter[] = []

  constructor(
    private readonly draw: (signal: AbortSignal) => Promise<void>,
    private readonly onSettled: (error: unknown) => void,
  ) {}

  /** Asks for a draw of the current state; resolves when a draw that started after this call has finished. */
  request(): Promise<void> {
    const seq = ++this.#requested
    const promise = this.#wait(seq)
    if (!this.#running) void this.#loop()
    else if (performance.now() - this.#startedAt > ABORT_AFTER_MS) this.#controller?.abort()
    return promise
  }

  /** Resolves after the draw in progress (and any requested) has finished; at once when idle. */
  idle(): Promise<void> {
    if (!this.#running && this.#completed === this.#requested) return Promise.resolve()
    return this.#wait(this.#requested)
  }

  #wait(seq: number): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#waiters.push({ seq, resolve, reject }))
  }

  async #loop(): Promise<void> {
    this.#running = true
    while (this.#completed < this.#requested) {
      // Let further synchronous state changes land before drawing; the draw reads the state when it starts.
      await Promise.resolve()
      const seq = this.#requested
      const controller = new AbortController()
      this.#controller = controller
      this.#startedAt = performance.now()
      try {
        await this.draw(controller.signal)
        this.#settle(seq, null)
      } catch (error) {
        if (controller.signal.aborted && this.#requested > seq) continue
        this.#settle(seq, error)
      }
    }
    this.#running = false
    this.#controller = null
  }

  #settle(seq: number, error: unknown): void {
    this.#completed = seq
    const done = this.#waiters.filter((w) => w.seq <= seq)
    this.#waiters = this.#waiters.filter((w) => w.seq > seq)
    for (const w of done) {
      if (error === null) w.resolve()
      else w.reject(error)
    }
    this.onSettled(error)
  }
}
