// Worker processes for the concurrency and crash tests (worker.ts).
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './paths'

export interface Worker {
  child: ChildProcess
  /** Resolves when the worker has opened the dataset. */
  ready: Promise<void>
  /** Resolves with the exit code (null when killed) and what the worker wrote to stderr. */
  exit: Promise<{ code: number | null; stderr: string }>
  /** Whether the worker reported its command done. */
  finished(): boolean
  /** Resolves when the worker reports its command done. */
  done: Promise<void>
}

export function startWorker(command: Record<string, unknown>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'worker.ts'), JSON.stringify(command)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waitFor = (line: string) =>
    new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', () => stdout.includes(line) && resolve())
      child.on('exit', () => reject(new Error(`worker exited before "${line.trim()}": ${stderr}`)))
    })
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  const ready = waitFor('ready\n')
  const done = waitFor('done\n')
  ready.catch(() => {})
  done.catch(() => {})
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })))
  return { child, ready, exit, finished: () => stdout.includes('done\n'), done }
}

/** Runs a worker to its end; rejects with its stderr if it fails. */
export async function runWorker(command: Record<string, unknown>): Promise<void> {
  const { code, stderr } = await startWorker(command).exit
  if (code !== 0) throw new Error(`worker ${JSON.stringify(command)} failed with ${code}: ${stderr}`)
}

/** A deterministic sequence of numbers in [0, 1) for a seed (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
