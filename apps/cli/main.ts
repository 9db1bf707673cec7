#!/usr/bin/env node
// The `wk` command line: builds the commander program, runs one subcommand and turns every error
// into one line `wk <command>: <message>` on stderr with exit code 2 (usage) or 1 (failure).
import { Command, CommanderError } from 'commander'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { AbortError, TaskFailedError, WebknossosError } from '../../index'
import { register as registerCheckEquality } from './check-equality'
import { CliError, UsageError, oneLine, runtime } from './common'
import { register as registerCompress } from './compress'
import { register as registerConvert } from './convert'
import { register as registerCopyDataset } from './copy-dataset'
import { register as registerDemo } from './demo'
import { register as registerDownsample } from './downsample'
import { register as registerExportTiff } from './export-tiff'
import { register as registerInfo } from './info'
import { register as registerRunTask } from './run-task'
import { register as registerServe } from './serve'
import { register as registerUpsample } from './upsample'
import { register as registerWorker } from './worker'

/** The version of the package this file belongs to (from apps/cli or dist/apps/cli). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      try {
        const json = JSON.parse(readFileSync(file, 'utf8'))
        if (json.name === 'webknossos') return String(json.version)
      } catch {
        // Not ours; keep looking.
      }
    }
    if (dirname(dir) === dir) return '0.0.0'
  }
}

export function buildProgram(): Command {
  const program = new Command('wk')
    .description('Create, inspect, convert, compress and downsample WEBKNOSSOS datasets (WKW, Zarr v3, Zarr v2)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`wk: ${oneLine(str.replace(/^error: /, ''))}\n`) })
  registerInfo(program)
  registerDownsample(program)
  registerUpsample(program)
  registerCompress(program)
  registerConvert(program)
  registerCopyDataset(program)
  registerExportTiff(program)
  registerCheckEquality(program)
  registerDemo(program)
  registerRunTask(program)
  registerWorker(program)
  registerServe(program)
  return program
}

/** The exit code of an error, after printing it as one line prefixed with `prefix`. */
export function report(error: unknown, prefix: string): number {
  const print = (message: string) => process.stderr.write(`${prefix}: ${oneLine(message)}\n`)
  // Commander has printed its own message (or the help) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
  if (error instanceof AbortError || (error as { code?: string })?.code === 'ABORT_ERR' || runtime.signal.aborted) {
    print('interrupted')
    return 130
  }
  if (error instanceof UsageError || error instanceof CliError) {
    if (error.message) print(error.message)
    return error.exitCode
  }
  if (error instanceof WebknossosError) {
    print(error.message)
    return 1
  }
  // A task that failed on every attempt: its log follows, as it was written.
  if (error instanceof TaskFailedError) {
    print(error.message.split('\n')[0])
    process.stderr.write(`${error.log.replace(/^/gm, '  | ')}\n`)
    return 1
  }
  const message = error instanceof Error ? error.message || error.name : String(error)
  print(message)
  if (process.env.WK_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  return 1
}

export async function main(argv: string[]): Promise<number> {
  let prefix = 'wk'
  const program = buildProgram()
  program.hook('preAction', (_program, action) => {
    prefix = `wk ${action.name()}`
  })
  // Warnings of the library (e.g. a mag left out) as one line each, without Node's decoration.
  process.removeAllListeners('warning')
  process.on('warning', (warning) => process.stderr.write(`${prefix}: warning: ${oneLine(warning.message)}\n`))
  // Output piped into a command that stopped reading (`wk info ds | head`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  // The first Ctrl-C (or a scheduler's SIGTERM) aborts the running operation, which cleans up;
  // the second quits at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (runtime.signal.aborted) process.exit(130)
      process.stderr.write(`${prefix}: stopping (${signal === 'SIGINT' ? 'press Ctrl-C again to quit at once' : signal})\n`)
      runtime.controller.abort(new AbortError('interrupted'))
    })
  }
  try {
    await program.parseAsync(argv)
    return 0
  } catch (error) {
    return report(error, prefix)
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code
    },
    (error) => {
      process.stderr.write(`wk: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
