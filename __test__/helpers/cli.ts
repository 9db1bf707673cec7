// Runs the `wk` command line from its TypeScript sources as a child process.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { repoRoot } from './paths'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** `wk ...args`, resolving (never rejecting) with the exit code and both outputs. */
export function wk(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/main.ts', ...args],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 240_000, env: { ...process.env, FORCE_COLOR: '0' } },
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
