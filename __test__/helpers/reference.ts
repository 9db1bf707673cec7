import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, skipReason } from './paths'

/** The Python of the reference virtualenv (scripts/setup-reference.sh), if it works. */
function findPython(): string | undefined {
  const python = process.env.WK_REFERENCE_PYTHON ?? join(repoRoot, '.venv-ref', 'bin', 'python')
  if (!existsSync(python)) return undefined
  try {
    execFileSync(python, ['-c', 'import wkw, webknossos, scipy'], { stdio: 'ignore' })
    return python
  } catch {
    return undefined
  }
}

export const python = findPython()

/** `test` when the Python reference is installed, otherwise `test.skip` with a printed reason. */
export function withReference<T extends { skip: unknown }>(test: T): T {
  if (python) return test
  skipReason('the Python reference is not installed (run scripts/setup-reference.sh)')
  return (test as unknown as { skip: T }).skip
}

/** Runs one request of __test__/reference/oracle.py and returns its JSON answer. */
export function oracle<T = Record<string, unknown>>(request: Record<string, unknown>): T {
  const out = execFileSync(python!, [join(__dirname, '..', 'reference', 'oracle.py'), JSON.stringify(request)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  })
  return JSON.parse(out) as T
}

export function writeBytes(path: string, data: ArrayBufferView): string {
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  return path
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path))
}
