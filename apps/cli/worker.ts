// `wk worker --redis <url>`: serves the tasks of a BullMQ queue until Ctrl-C or SIGTERM, which
// lets the running tasks finish (or cancels them after --close-timeout).
import type { Command } from 'commander'
import { runBullMqWorker } from '../../index'
import { defineCommand, jobsOption, runtime, say } from './common'
import { parsePositiveInt } from './options'

interface Options {
  redis: string
  queue?: string
  jobs?: number
  concurrency?: number
  closeTimeout?: number
}

export function register(program: Command): void {
  defineCommand(program, 'worker', 'Run tasks of a BullMQ queue (what --distribution-strategy bullmq hands out)')
    .requiredOption('--redis <url>', 'the Redis of the queue, e.g. redis://127.0.0.1:6379')
    .option('--queue <name>', 'the queue to serve (default "webknossos")')
    .addOption(jobsOption())
    .option('--concurrency <n>', 'tasks at once (default 1)', parsePositiveInt)
    .option('--close-timeout <seconds>', 'how long running tasks may finish after a stop (default 30)', parsePositiveInt)
    .action(async (opts: Options) => {
      await runBullMqWorker({
        connection: opts.redis,
        queueName: opts.queue,
        jobs: opts.jobs,
        concurrency: opts.concurrency,
        closeTimeout: opts.closeTimeout === undefined ? undefined : opts.closeTimeout * 1000,
        signal: runtime.signal,
        onEvent: say,
      })
    })
}
