// Runs the `wk` command line from its TypeScript sources as a child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { wkCommand } from '../../lib/execution/wk-command'
import { repoRoot } from './paths'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** `wk ...args`, resolving (never rejecting) with the exit code and both outputs. */
export function wk(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const [node, ...flags] = wkCommand()
  return new Promise((resolve) => {
    execFile(
      node,
      [...flags, ...args],
      { cwd: opts.cwd ?? repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 240_000, env: { ...process.env, FORCE_COLOR: '0' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}

/** The non-empty lines of an output. */
export const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '')

/** Whether `path` is missing or an empty directory (nothing was written there). */
export function nothingAt(path: string): boolean {
  return !existsSync(path) || readdirSync(path).length === 0
}

export interface RunningWk {
  child: ChildProcess
  /** Everything written to stdout so far. */
  stdout(): string
  /** Resolves with the exit code (null when killed by a signal) and stderr. */
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>
}

/** Starts `wk ...args` in the background (a worker, a coordinator to kill). */
export function startWk(args: string[], opts: { cwd?: string } = {}): RunningWk {
  const [node, ...flags] = wkCommand()
  const child = spawn(node, [...flags, ...args], { cwd: opts.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
  return { child, stdout: () => stdout, exit }
}
