// Downsamples a 1024³ uint8 color layer (WKW shards of 256³, so that a step has several target
// shards) to mag 8 with the LocalExecutor, on two BullMQ workers and on the one-node Slurm cluster
// of scripts/services, all on this machine's cores, each on its own copy of the same data; prints
// each run's time, its overhead against the local run, Slurm's scheduling latency on its own, and
// the peak memory of the workers. Redis and Slurm are started and stopped here.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { BullMqExecutor, Dataset, type Executor, LocalExecutor, SlurmExecutor } from '../index'
import { wkCommand } from '../lib/execution/wk-command'
import { type Row, printTable, seconds, timed, workDir } from './util'
import { colorSlab } from './volumes'

const EDGE = 1024
const SHARD = 256
const SLAB = 64
const REDIS_PORT = 6394
const services = join(__dirname, '..', 'scripts', 'services')
const installed = (command: string) => existsSync(`/usr/bin/${command}`) || existsSync(`/usr/sbin/${command}`)
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`

async function volume(dir: string): Promise<string> {
  const dataset = await Dataset.create(dir, { scale: [1, 1, 1] })
  const layer = await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  const mag = await layer.addMag(1, { blockLen: 32, fileLen: SHARD / 32 })
  for (let z = 0; z < EDGE; z += SLAB) await mag.write({ data: colorSlab(EDGE, z, SLAB), shape: [EDGE, EDGE, SLAB] }, { offset: [0, 0, z] })
  return dir
}

/** Seconds of a downsampling of a fresh copy of `source` to mag 8 on `executor`. */
async function downsample(source: string, copy: string, executor: Executor): Promise<number> {
  execFileSync('cp', ['-r', source, copy])
  const layer = (await Dataset.open(copy)).getLayer('color')
  const { seconds: s } = await timed(() => layer.downsample({ maxMag: 8, executor }))
  execFileSync('rm', ['-rf', copy])
  return s
}

/** Seconds from submitting an array of one empty task until it has left the queue, best of 5. */
async function slurmLatency(): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const start = performance.now()
    const job = execFileSync('sbatch', ['--parsable', '--array=0', '--mem=10M', '--output=/dev/null', '--wrap=true'], { encoding: 'utf8' }).trim()
    while (execFileSync('squeue', ['--noheader', '--states=PENDING,RUNNING,COMPLETING', `--jobs=${job}`], { encoding: 'utf8' }).trim() !== '') {
      await new Promise((r) => setTimeout(r, 10))
    }
    times.push((performance.now() - start) / 1000)
  }
  return Math.min(...times)
}

export async function benchExecutors(): Promise<void> {
  const dir = workDir('executors')
  const source = await volume(join(dir, 'source'))
  const rows: Row[] = []
  const local = await downsample(source, join(dir, 'local'), new LocalExecutor())
  rows.push({ what: `local (${availableParallelism()} threads, one task per step)`, ours: seconds(local), reference: '', ratio: '' })

  if (installed('redis-server')) {
    const env = { ...process.env, WK_REDIS_PORT: String(REDIS_PORT), WK_REDIS_DIR: join(dir, 'redis') }
    execFileSync(join(services, 'redis.sh'), ['start'], { env, stdio: 'ignore' })
    const url = `redis://127.0.0.1:${REDIS_PORT}`
    const [node, ...flags] = wkCommand()
    const workers = Array.from({ length: availableParallelism() }, () =>
      spawn(node, [...flags, 'worker', '--redis', url], { stdio: ['ignore', 'pipe', 'inherit'] }),
    )
    try {
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.stdout!.on('data', (d) => String(d).includes('serving') && resolve()))))
      const executor = new BullMqExecutor({ connection: url, pollInterval: 1000 })
      const bullmq = await downsample(source, join(dir, 'bullmq'), executor)
      await executor.close()
      const peaks = workers.map((w) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'))![1]))
      rows.push({
        what: `BullMQ (${workers.length} workers × ${availableParallelism()} threads, the default; one task per target shard)`,
        ours: seconds(bullmq),
        reference: '',
        ratio: `overhead ${(((bullmq - local) / local) * 100).toFixed(0)} %`,
      })
      rows.push({ what: 'BullMQ: peak memory of each worker process', ours: peaks.map(mib).join(', '), reference: '', ratio: '' })
    } finally {
      for (const w of workers) w.kill('SIGTERM')
      execFileSync(join(services, 'redis.sh'), ['stop'], { env, stdio: 'ignore' })
    }
  } else {
    console.log('# Redis is not installed (scripts/services/redis.sh install): no BullMQ row')
  }

  if (installed('slurmctld')) {
    execFileSync(join(services, 'slurm.sh'), ['start'], { stdio: 'ignore' })
    try {
      const logDir = join(dir, 'slurm-logs')
      const slurm = await downsample(source, join(dir, 'slurm'), new SlurmExecutor({ logDir, pollInterval: 250 }))
      const latency = await slurmLatency()
      const peaks = readdirSync(logDir).flatMap((run) =>
        readdirSync(join(logDir, run, 'logs')).map((log) => Number(/peak memory (\d+) MiB/.exec(readFileSync(join(logDir, run, 'logs', log), 'utf8'))?.[1] ?? 0)),
      )
      rows.push({
        what: `Slurm (array tasks of 1 thread, one per target shard, ${availableParallelism()} at a time)`,
        ours: seconds(slurm),
        reference: '',
        ratio: `overhead ${(((slurm - local) / local) * 100).toFixed(0)} %`,
      })
      rows.push({ what: 'Slurm: an empty array task, submit to done (scheduling latency)', ours: seconds(latency), reference: '', ratio: '' })
      rows.push({ what: `Slurm: peak memory of the ${peaks.length} task processes`, ours: `${Math.min(...peaks)}–${Math.max(...peaks)} MiB`, reference: '', ratio: '' })
    } finally {
      execFileSync(join(services, 'slurm.sh'), ['stop'], { stdio: 'ignore' })
    }
  } else {
    console.log('# Slurm is not installed (scripts/services/slurm.sh install): no Slurm row')
  }
  execFileSync('rm', ['-rf', dir])
  printTable(`${EDGE}³ uint8 color (WKW, ${SHARD}³ shards) downsampled to mag 8 (median, LZ4HC) on each executor`, rows, {
    ours: 'time or size',
    reference: '',
    ratio: 'against the local run',
  })
}
