// What every `wk` command shares: the two kinds of CLI errors, the definition of a subcommand
// with one-line error output, the abort signal of Ctrl-C, and checks of target directories.
import { type Command, Option } from 'commander'
import { readdir, rm, stat } from 'node:fs/promises'
import { Dataset } from '../../index'
import { parsePositiveInt } from './options'

/** A bad invocation (missing or contradictory arguments): exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** A failure at run time that is not a library error (e.g. images of different sizes): exit code 1. */
export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/** State of the running process that commands need. */
export const runtime = {
  /** Aborted by the first Ctrl-C; long operations stop and clean up. */
  controller: new AbortController(),
  get signal(): AbortSignal {
    return this.controller.signal
  },
}

/** Writes one line to stdout. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

/** One line, as `wk <command>: <message>` errors must be. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ')
}

/**
 * Adds a subcommand whose parse errors are one line `wk <name>: <message>` on stderr and are
 * thrown (as CommanderError) instead of exiting, so main decides the exit code.
 */
export function defineCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`wk ${name}: ${oneLine(str.replace(/^error: /, ''))}\n`) })
    .showHelpAfterError(false)
}

/** `--jobs <n>`: native threads of long operations. */
export function jobsOption(): Option {
  return new Option('-j, --jobs <n>', 'threads to use (default: all cores)').argParser(parsePositiveInt)
}

/** `-q, --quiet`: no progress output. */
export function quietOption(): Option {
  return new Option('-q, --quiet', 'print no progress')
}

/** Whether a dataset argument is a URL (`s3://…`, `https://…`), which the library opens itself. */
export const isUrl = (path: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(path)

/** Opens a dataset, with a clearer message for a path that does not exist at all. */
export async function openDataset(path: string): Promise<Dataset> {
  if (isUrl(path)) return Dataset.open(path)
  const info = await stat(path).catch(() => undefined)
  if (!info) throw new CliError(`No dataset at "${path}": the path does not exist`)
  if (!info.isDirectory()) throw new CliError(`No dataset at "${path}": it is not a directory`)
  return Dataset.open(path)
}

/**
 * Checks that `path` can become a new dataset or output tree: it must not exist, or be an empty
 * directory. Returns whether it exists (so a cleanup can keep the empty directory).
 */
export async function checkFreeTarget(path: string, what: string): Promise<{ existed: boolean }> {
  // At a URL, Dataset.create refuses a location that holds a dataset.
  if (isUrl(path)) return { existed: false }
  const info = await stat(path).catch(() => undefined)
  if (!info) return { existed: false }
  if (!info.isDirectory()) throw new CliError(`${what} "${path}" exists and is not a directory`)
  if ((await readdir(path)).length > 0) throw new CliError(`${what} "${path}" exists and is not empty`)
  return { existed: true }
}

/**
 * Removes what a failed command wrote into `path`: the directory itself if it did not exist
 * before, else its contents (it was empty).
 */
export async function removeCreated(path: string, existed: boolean): Promise<void> {
  // What a failed command put in an object store stays: deleting objects there is not undone.
  if (isUrl(path)) return
  try {
    if (!existed) {
      await rm(path, { recursive: true, force: true })
      return
    }
    for (const entry of await readdir(path)) await rm(`${path}/${entry}`, { recursive: true, force: true })
  } catch {
    // Best effort: the original error is what the user needs to see.
  }
}

/** Runs `work` in `path` (checked free before) and removes everything written if it fails. */
export async function writingInto<T>(path: string, existed: boolean, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    await removeCreated(path, existed)
    throw error
  }
}

export const formatVec = (v: readonly number[]): string => `(${v.join(', ')})`

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

export function formatRate(voxels: number, seconds: number): string {
  if (!(seconds > 0)) return '- voxels/s'
  const rate = voxels / seconds
  if (rate >= 1e9) return `${(rate / 1e9).toFixed(2)} Gvoxels/s`
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(1)} Mvoxels/s`
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)} kvoxels/s`
  return `${rate.toFixed(0)} voxels/s`
}

/** `work(item, i)` for every item with at most `limit` in flight; rejects with the first error after the others settle. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failed: { error: unknown } | undefined
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++
      try {
        results[i] = await work(items[i], i)
      } catch (error) {
        failed ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failed) throw failed.error
  return results
}
