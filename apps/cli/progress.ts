// Progress of long operations: a cli-progress bar when stdout is a terminal, plain lines
// ("downsample: 12/40 files", at most two a second plus the final one) otherwise.
import { Presets, SingleBar } from 'cli-progress'
import type { Progress } from '../../index'

export interface Reporter {
  /** Pass as `onProgress` of a long operation. */
  readonly onProgress: (p: Progress) => void
  /** Ends the bar (prints the final line if it was not printed); call once, also on failure. */
  stop(): void
  /** Marks the operation complete (done = total) before `stop`. */
  complete(): void
}

const PLAIN_INTERVAL_MS = 500

/**
 * A reporter labelled `label` counting `unit` ("files", "slices"). `quiet` reports nothing;
 * `tty` overrides the detection of a terminal (for tests).
 */
export function progress(label: string, unit: string, opts: { quiet?: boolean; tty?: boolean } = {}): Reporter {
  if (opts.quiet) return { onProgress: () => {}, stop: () => {}, complete: () => {} }
  return (opts.tty ?? process.stdout.isTTY === true) ? barReporter(label, unit) : plainReporter(label, unit)
}

function barReporter(label: string, unit: string): Reporter {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} ${unit} | {percentage}% | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 50,
      stream: process.stdout,
    },
    Presets.shades_classic,
  )
  let started = false
  let stopped = false
  let best = 0
  return {
    onProgress({ done, total }) {
      if (stopped) return
      // Reports of worker threads may arrive out of order: the count only grows.
      done = Math.max(done, best)
      best = done
      if (!started) {
        bar.start(total, done)
        started = true
      } else {
        if (bar.getTotal() !== total) bar.setTotal(total)
        bar.update(done)
      }
    },
    stop() {
      if (stopped) return
      stopped = true
      if (started) bar.stop()
    },
    complete() {
      if (started && !stopped) bar.update(bar.getTotal())
    },
  }
}

function plainReporter(label: string, unit: string): Reporter {
  let last: Progress | undefined
  let printed: Progress | undefined
  let lastTime = 0
  let stopped = false
  const print = (p: Progress) => {
    printed = p
    lastTime = Date.now()
    process.stdout.write(`${label}: ${p.done}/${p.total} ${unit}\n`)
  }
  return {
    onProgress(p) {
      if (stopped) return
      // Reports of worker threads may arrive out of order: the count only grows.
      last = { done: Math.max(p.done, last && last.total === p.total ? last.done : 0), total: p.total }
      const final = last.done >= last.total
      if (final || Date.now() - lastTime >= PLAIN_INTERVAL_MS) {
        if (!printed || printed.done !== last.done || printed.total !== last.total) print(last)
      }
    },
    complete() {
      if (last && !stopped) last = { done: last.total, total: last.total }
    },
    stop() {
      if (stopped) return
      stopped = true
      // The final state, unless it was the last line printed.
      if (last && (!printed || printed.done !== last.done || printed.total !== last.total)) print(last)
    },
  }
}

/** Runs `work` with a reporter that is stopped however `work` ends. */
export async function withProgress<T>(
  label: string,
  unit: string,
  opts: { quiet?: boolean },
  work: (onProgress: (p: Progress) => void) => Promise<T>,
): Promise<T> {
  const reporter = progress(label, unit, opts)
  try {
    const result = await work(reporter.onProgress)
    reporter.complete()
    return result
  } finally {
    reporter.stop()
  }
}
