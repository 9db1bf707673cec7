// The SlurmExecutor on a real one-node Slurm cluster (scripts/services/slurm.sh): the same files
// as the LocalExecutor, retries of killed and failing tasks, resumed and concurrent runs.
import anyTest, { type TestFn } from 'ava'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AbortError, Dataset, SlurmExecutor, TaskFailedError } from '../index'
import { wk } from './helpers/cli'
import { digests, local, makeImages, makeVolume, operations, registeredMags, resumeAfterKill } from './helpers/executors'
import { type Service, startSlurm } from './helpers/services'

interface Context {
  root: string
  slurm: Service
  /** 512³, shards of 128³: the volume of the byte-for-byte comparisons. */
  volume: string
  /** 256³, shards of 64³: the volume of the fault tests. */
  small: string
  images: string
  reference: Record<string, Record<string, string>>
}

const test = anyTest as TestFn<Context>
const slurm = startSlurm()
const serial = slurm.unavailable ? test.serial.skip : test.serial

test.before(async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'wk-slurm-test-'))
  const images = join(root, 'images')
  mkdirSync(images)
  t.context = {
    root,
    slurm,
    volume: await makeVolume(join(root, 'volume'), 512, 128),
    small: await makeVolume(join(root, 'small'), 256, 64),
    images: await makeImages(images, 100, 96, 80),
    reference: {},
  }
  if (slurm.unavailable) return
  const { reference, volume, small } = t.context
  const into = (name: string) => join(root, 'local', name)
  reference.downsample = digests(await operations.downsample(volume, into('downsample'), local()))
  reference.small = digests(await operations.downsample(small, into('small'), local()))
  reference.compress = digests(await operations.compress(volume, into('compress'), local()))
  reference.copy = digests(await operations.copy(volume, into('copy'), local()))
  reference.convert = digests(await operations.convert(images, into('convert'), local()))
})

test.after.always((t) => {
  t.context.slurm?.stop()
  if (t.context.root) rmSync(t.context.root, { recursive: true, force: true })
})

const executor = (t: { context: Context }, opts: { maxAttempts?: number; maxTasks?: number } = {}) =>
  new SlurmExecutor({ logDir: join(t.context.root, 'slurm'), pollInterval: 250, ...opts })

/** Array task counts of the runs in `logDir`. */
const arraySizes = (logDir: string) => readdirSync(logDir).map((run) => readdirSync(join(logDir, run, 'tasks')).length)

serial('downsampling a 512³ color and a segmentation layer to mag 8 through Slurm writes the files of the local run', async (t) => {
  const dir = await operations.downsample(t.context.volume, join(t.context.root, 'slurm-downsample'), executor(t))
  t.deepEqual(digests(dir), t.context.reference.downsample)
  t.deepEqual(await registeredMags(dir), ['color/1', 'color/2', 'color/4', 'color/8', 'segmentation/1', 'segmentation/2', 'segmentation/4', 'segmentation/8'])
  t.true(Math.max(...arraySizes(join(t.context.root, 'slurm'))) >= 4, 'a step ran as an array of at least 4 tasks')
})

serial('compress, copy and convert through Slurm write the files of the local run', async (t) => {
  const { root, volume, images, reference } = t.context
  // Eight array tasks per step at most, each of several shards.
  const slurm = executor(t, { maxTasks: 8 })
  t.deepEqual(digests(await operations.compress(volume, join(root, 'slurm-compress'), slurm)), reference.compress)
  t.deepEqual(digests(await operations.copy(volume, join(root, 'slurm-copy'), slurm)), reference.copy)
  t.deepEqual(digests(await operations.convert(images, join(root, 'slurm-convert'), slurm)), reference.convert)
})

/** Pids of `wk run-task` processes whose task files lie under `dir`. */
function runTasks(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes('run-task') && cmdline.includes(dir)) pids.push(Number(entry))
    } catch {
      // The process has ended.
    }
  }
  return pids
}

serial('a task killed with SIGKILL is submitted again, and the files are those of the local run', async (t) => {
  const logDir = join(t.context.root, 'slurm-kill-logs')
  const run = operations.downsample(t.context.small, join(t.context.root, 'slurm-kill'), new SlurmExecutor({ logDir, pollInterval: 250 }))
  let killed: number | undefined
  while (killed === undefined) {
    const [pid] = runTasks(logDir)
    if (pid !== undefined) {
      // Let it start its work, then kill it as the OOM killer or a node failure would.
      await new Promise((r) => setTimeout(r, 300))
      try {
        process.kill(pid, 'SIGKILL')
        killed = pid
      } catch {
        // It ended first; take the next one.
      }
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const dir = await run
  t.deepEqual(digests(dir), t.context.reference.small)
  // The killed task ran twice: two logs of one array index, from two array jobs.
  const logs = readdirSync(logDir).flatMap((r) => readdirSync(join(logDir, r, 'logs')))
  t.true(
    readdirSync(logDir).some((r) => {
      const names = readdirSync(join(logDir, r, 'logs')).map((name) => name.split('.')[0])
      return names.length > new Set(names).size
    }),
    `a resubmitted task among the logs ${logs.join(', ')}`,
  )
})

serial('a task that fails every time fails the run within a bounded time, with its log, and registers nothing', async (t) => {
  const fresh = join(t.context.root, 'slurm-failing')
  cpSync(t.context.small, fresh, { recursive: true })
  // A data file whose header is garbage: every attempt to read it fails.
  writeFileSync(join(fresh, 'color', '1', 'z0', 'y0', 'x0.wkw'), Buffer.alloc(64, 0x5a))
  const started = Date.now()
  const layer = (await Dataset.open(fresh)).getLayer('color')
  const error = await t.throwsAsync(layer.downsample({ maxMag: 2, executor: executor(t, { maxAttempts: 2 }) }), { instanceOf: TaskFailedError })
  t.true(Date.now() - started < 120_000, `failed after ${Date.now() - started} ms`)
  t.is((error as TaskFailedError).attempts, 2)
  t.regex(error!.message, /x0\.wkw/, 'the log names the file')
  t.deepEqual(await registeredMags(fresh), ['color/1', 'segmentation/1'])
})

serial('a coordinator killed mid-run and started again finishes without redoing the complete shards', async (t) => {
  const { root, small } = t.context
  const dir = join(root, 'slurm-resume')
  cpSync(small, dir, { recursive: true })
  const args = ['downsample', dir, '--max', '8', '--distribution-strategy', 'slurm', '-q']
  await resumeAfterKill(t, dir, args, root, t.context.reference.small)
})

serial('two runs on different layers of one dataset at once leave both layers\' mags in the properties', async (t) => {
  const { root, small } = t.context
  const dir = join(root, 'slurm-two')
  cpSync(small, dir, { recursive: true })
  const run = (layer: string) => wk(['downsample', dir, '-l', layer, '--max', '8', '--distribution-strategy', 'slurm', '-q'], { cwd: root })
  const results = await Promise.all([run('color'), run('segmentation')])
  for (const r of results) t.is(r.code, 0, r.stderr)
  t.deepEqual(await registeredMags(dir), ['color/1', 'color/2', 'color/4', 'color/8', 'segmentation/1', 'segmentation/2', 'segmentation/4', 'segmentation/8'])
  t.deepEqual(digests(dir), t.context.reference.small)
})

serial('an abort cancels the queued and running array tasks (scancel); nothing is registered', async (t) => {
  const dir = join(t.context.root, 'slurm-abort')
  cpSync(t.context.small, dir, { recursive: true })
  const controller = new AbortController()
  const logDir = join(t.context.root, 'slurm-abort-logs')
  const layer = (await Dataset.open(dir)).getLayer('color')
  const run = layer.downsample({ maxMag: 8, executor: new SlurmExecutor({ logDir, pollInterval: 250 }), signal: controller.signal })
  while (runTasks(logDir).length === 0) await new Promise((r) => setTimeout(r, 20))
  controller.abort()
  await t.throwsAsync(run, { instanceOf: AbortError })
  let queued = ''
  for (let i = 0; i < 50; i++) {
    queued = execFileSync('squeue', ['--noheader', '--states=PENDING,RUNNING,COMPLETING'], { encoding: 'utf8' }).trim()
    if (queued === '' && runTasks(logDir).length === 0) break
    await new Promise((r) => setTimeout(r, 200))
  }
  t.is(queued, '', 'no array task is left in the queue')
  t.deepEqual(runTasks(logDir), [], 'no task process is left')
  t.deepEqual(await registeredMags(dir), ['color/1', 'segmentation/1'])
})
