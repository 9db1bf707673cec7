import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ExecutionContext } from 'ava'

export const repoRoot = resolve(__dirname, '..', '..')

/** The shared fixtures written by the Python library; absent in a user's clone. */
export const fixturesDir = resolve(process.env.WK_SHARED_DIR ?? join(repoRoot, '..', 'shared'), 'fixtures')
export const haveFixtures = existsSync(join(fixturesDir, 'simple_wk_dataset'))

const reported = new Set<string>()

/** Prints why a group of tests is skipped, once per reason. */
export function skipReason(reason: string): void {
  if (reported.has(reason)) return
  reported.add(reason)
  console.log(`# skipping: ${reason}`)
}

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'wk-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
