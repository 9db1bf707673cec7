// How other processes run `wk` (Slurm array tasks, workers started by tests): this Node, with
// the loaders it was started with (tsx when run from sources), and this package's CLI.
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** A loader flag's module as an absolute URL: the other process may start in any directory. */
function absolute(specifier: string): string {
  if (/^[a-z]+:/i.test(specifier) || isAbsolute(specifier)) return specifier
  try {
    return pathToFileURL(require.resolve(specifier, { paths: [process.cwd()] })).href
  } catch {
    return specifier
  }
}

/** `[node, ...loaderFlags, cli]`, to which `wk` arguments are appended. */
export function wkCommand(): string[] {
  // Compiled code runs from dist/lib/execution, sources (through tsx) from lib/execution.
  const compiled = join(__dirname, '../../apps/cli/main.js')
  const cli = existsSync(compiled) ? compiled : join(__dirname, '../../apps/cli/main.ts')
  const loaders: string[] = []
  const args = process.execArgv
  for (let i = 0; i < args.length; i++) {
    const flag = /^--(import|require)(?:=(.*))?$/.exec(args[i])
    if (!flag) continue
    const value = flag[2] ?? args[++i]
    if (value !== undefined) loaders.push(`--${flag[1]}=${absolute(value)}`)
  }
  return [process.execPath, ...loaders, cli]
}
