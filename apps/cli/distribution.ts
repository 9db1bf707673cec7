// Where a command's long operations run, with the Python CLI's option names:
// `--distribution-strategy local|slurm|bullmq`, `--jobs`, `--job-resources '<json>'`, `--redis <url>`.
import { type Command, Option } from 'commander'
import { BullMqExecutor, type Executor, LocalExecutor, SlurmExecutor } from '../../index'
import { UsageError } from './common'

export interface DistributionOptions {
  distributionStrategy: 'local' | 'slurm' | 'bullmq'
  jobs?: number
  jobResources?: Record<string, string | number>
  redis?: string
  queue?: string
}

function parseJobResources(value: string): Record<string, string | number> {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new UsageError(`--job-resources must be a JSON object such as '{"mem": "4G", "time": "1:00:00"}', but is ${value}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw new UsageError(`--job-resources must be a JSON object of strings and numbers, but is ${value}`)
  }
  return parsed as Record<string, string | number>
}

/** Adds the distribution options to `command` (which has `--jobs` already). */
export function distributionOptions(command: Command): Command {
  return command
    .addOption(new Option('--distribution-strategy <strategy>', 'where the tasks run').choices(['local', 'slurm', 'bullmq']).default('local'))
    .addOption(new Option('--job-resources <json>', 'sbatch options of every Slurm task, e.g. \'{"mem": "4G", "time": "1:00:00"}\'').argParser(parseJobResources))
    .option('--redis <url>', 'the Redis of the BullMQ queue, e.g. redis://127.0.0.1:6379')
    .option('--queue <name>', 'the BullMQ queue name (default "webknossos")')
}

/** Runs `work` with the executor the options ask for, and closes it afterwards. */
export async function withExecutor<T>(opts: DistributionOptions, work: (executor: Executor) => Promise<T>): Promise<T> {
  if (opts.distributionStrategy !== 'bullmq' && (opts.redis || opts.queue)) throw new UsageError('--redis and --queue need --distribution-strategy bullmq')
  if (opts.distributionStrategy !== 'slurm' && opts.jobResources) throw new UsageError('--job-resources needs --distribution-strategy slurm')
  let executor: Executor
  switch (opts.distributionStrategy) {
    case 'slurm':
      executor = new SlurmExecutor({ jobs: opts.jobs, jobResources: opts.jobResources })
      break
    case 'bullmq':
      if (!opts.redis) throw new UsageError('--distribution-strategy bullmq needs --redis <url>')
      executor = new BullMqExecutor({ connection: opts.redis, queueName: opts.queue, jobs: opts.jobs })
      break
    default:
      executor = new LocalExecutor({ jobs: opts.jobs })
  }
  try {
    return await work(executor)
  } finally {
    await executor.close()
  }
}
