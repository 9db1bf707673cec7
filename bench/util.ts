import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export interface Row {
  what: string
  ours: string
  reference: string
  ratio: string
}

/** The Python of the reference virtualenv, or undefined (then only our side runs). */
export const python = ((): string | undefined => {
  const candidate = process.env.WK_REFERENCE_PYTHON ?? resolve(__dirname, '..', '.venv-ref', 'bin', 'python')
  try {
    if (existsSync(candidate)) {
      execFileSync(candidate, ['-c', 'import wkw, webknossos'], { stdio: 'ignore' })
      return candidate
    }
  } catch {}
  console.log('# the Python reference is not installed (scripts/setup-reference.sh): printing our numbers only')
  return undefined
})()

/**
 * Where benchmark data goes: tmpfs when the machine has one, so that the disk's write-back does
 * not decide the numbers (WK_BENCH_DIR overrides).
 */
export const benchRoot = process.env.WK_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())

export function workDir(name: string): string {
  const dir = join(benchRoot, `wk-bench-${name}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint()
  const value = await work()
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 }
}

export const seconds = (s: number): string => `${s.toFixed(2)} s`

export function printTable(title: string, rows: Row[], names: Omit<Row, 'what'> = { ours: 'webknossos (Node)', reference: 'Python reference', ratio: 'ratio' }): void {
  const headers: Row = { what: title, ...names }
  const all = [headers, ...rows]
  const width = (k: keyof Row) => Math.max(...all.map((r) => r[k].length))
  const line = (r: Row) => `| ${(['what', 'ours', 'reference', 'ratio'] as const).map((k) => r[k].padEnd(width(k))).join(' | ')} |`
  console.log(`\n${line(headers)}\n|${(['what', 'ours', 'reference', 'ratio'] as const).map((k) => '-'.repeat(width(k) + 2)).join('|')}|`)
  for (const r of rows) console.log(line(r))
}
