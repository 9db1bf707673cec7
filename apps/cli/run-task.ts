// `wk run-task <file>`: runs one task description (what a Slurm array task does) and writes its
// result where the coordinator looks for it. A failure exits 1 with the error in the log.
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { checkTask, describeTask, runTask, writeTaskResult } from '../../index'
import { CliError, defineCommand, jobsOption, runtime, say } from './common'

interface Options {
  result?: string
  jobs?: number
}

export function register(program: Command): void {
  defineCommand(program, 'run-task', 'Run one task description (JSON), as executors hand them out')
    .argument('<file>', 'the task as JSON')
    .option('--result <file>', 'where to write the result (JSON) once the task succeeded')
    .addOption(jobsOption())
    .action(async (file: string, opts: Options) => {
      let json: unknown
      try {
        json = JSON.parse(await readFile(file, 'utf8'))
      } catch (error) {
        throw new CliError(`Cannot read the task "${file}": ${(error as Error).message}`)
      }
      const task = checkTask(json)
      const start = performance.now()
      say(`start ${describeTask(task)}`)
      const result = await runTask(task, { jobs: opts.jobs, signal: runtime.signal })
      if (opts.result) await writeTaskResult(opts.result, result)
      const seconds = (performance.now() - start) / 1000
      say(`done in ${seconds.toFixed(2)} s; peak memory ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
    })
}
