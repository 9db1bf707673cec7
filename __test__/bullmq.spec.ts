// The BullMqExecutor with three `wk worker` processes on a real Redis (scripts/services/redis.sh):
// the same files as the LocalExecutor; killed workers, failing tasks, a restarted coordinator, a
// restarted Redis, concurrent runs, no workers at all, and an abort.
import anyTest, { type TestFn } from 'ava'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { AbortError, BullMqExecutor, Dataset, TaskFailedError } from '../index'
import { type RunningWk, startWk, wk } from './helpers/cli'
import { digests, local, makeImages, makeVolume, operations, registeredMags, resumeAfterKill } from './helpers/executors'
import { type Redis, startRedis } from './helpers/services'

interface Context {
  root: string
  redis: Redis
  workers: RunningWk[]
  volume: string
  small: string
  images: string
  reference: Record<string, Record<string, string>>
}

const test = anyTest as TestFn<Context>
const PORT = 6393
const root = mkdtempSync(join(tmpdir(), 'wk-bullmq-test-'))
const redis = startRedis(PORT, join(root, 'redis'))
const serial = redis.unavailable ? test.serial.skip : test.serial

const startWorker = () => startWk(['worker', '--redis', redis.url, '-j', '1'], { cwd: root })
const serving = async (worker: RunningWk) => {
  while (!worker.stdout().includes('serving queue')) {
    if (worker.child.exitCode !== null) throw new Error(`a worker exited: ${(await worker.exit).stderr}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test.before(async (t) => {
  const images = join(root, 'images')
  mkdirSync(images)
  t.context = {
    root,
    redis,
    workers: [],
    volume: await makeVolume(join(root, 'volume'), 512, 128),
    small: await makeVolume(join(root, 'small'), 256, 64),
    images: await makeImages(images, 100, 96, 80),
    reference: {},
  }
  if (redis.unavailable) return
  t.context.workers = [startWorker(), startWorker(), startWorker()]
  const { reference, volume, small } = t.context
  const into = (name: string) => join(root, 'local', name)
  reference.downsample = digests(await operations.downsample(volume, into('downsample'), local()))
  reference.small = digests(await operations.downsample(small, into('small'), local()))
  reference.compress = digests(await operations.compress(volume, into('compress'), local()))
  reference.copy = digests(await operations.copy(volume, into('copy'), local()))
  reference.convert = digests(await operations.convert(images, into('convert'), local()))
  await Promise.all(t.context.workers.map(serving))
})

test.after.always(async (t) => {
  for (const worker of t.context.workers ?? []) worker.child.kill('SIGKILL')
  await Promise.all((t.context.workers ?? []).map((w) => w.exit))
  redis.stop()
  rmSync(root, { recursive: true, force: true })
})

const executor = (opts: { maxAttempts?: number; workerTimeout?: number } = {}) => new BullMqExecutor({ connection: redis.url, pollInterval: 500, ...opts })

/** Runs `work` with a fresh executor and closes it afterwards. */
async function using<T>(make: () => BullMqExecutor, work: (e: BullMqExecutor) => Promise<T>): Promise<T> {
  const e = make()
  try {
    return await work(e)
  } finally {
    await e.close()
  }
}

serial('downsampling a 512³ color and a segmentation layer to mag 8 on three workers writes the files of the local run', async (t) => {
  const dir = await using(executor, (e) => operations.downsample(t.context.volume, join(root, 'bullmq-downsample'), e))
  t.deepEqual(digests(dir), t.context.reference.downsample)
  t.deepEqual(await registeredMags(dir), ['color/1', 'color/2', 'color/4', 'color/8', 'segmentation/1', 'segmentation/2', 'segmentation/4', 'segmentation/8'])
  // Every worker took tasks.
  for (const worker of t.context.workers) t.regex(worker.stdout(), /done sample into/)
})

serial('compress, copy and convert on three workers write the files of the local run', async (t) => {
  const { volume, images, reference } = t.context
  await using(executor, async (e) => {
    t.deepEqual(digests(await operations.compress(volume, join(root, 'bullmq-compress'), e)), reference.compress)
    t.deepEqual(digests(await operations.copy(volume, join(root, 'bullmq-copy'), e)), reference.copy)
    t.deepEqual(digests(await operations.convert(images, join(root, 'bullmq-convert'), e)), reference.convert)
  })
})

serial('a worker killed with SIGKILL mid-task: its task runs on another worker, and the files are those of the local run', async (t) => {
  const run = using(executor, (e) => operations.downsample(t.context.small, join(root, 'bullmq-kill'), e))
  const victim = await new Promise<RunningWk>((resolve) => {
    const look = setInterval(() => {
      const busy = t.context.workers.find((w) => w.stdout().split('\n').filter((l) => l.startsWith('start')).length > w.stdout().split('\n').filter((l) => /^(done|failed)/.test(l)).length)
      if (busy) {
        clearInterval(look)
        resolve(busy)
      }
    }, 5)
  })
  victim.child.kill('SIGKILL')
  await victim.exit
  const dir = await run
  t.deepEqual(digests(dir), t.context.reference.small)
  // A replacement keeps three workers for the other tests.
  const replacement = startWorker()
  t.context.workers[t.context.workers.indexOf(victim)] = replacement
  await serving(replacement)
})

serial('a task that fails every time fails the run within a bounded time, with its log, and registers nothing', async (t) => {
  const dir = join(root, 'bullmq-failing')
  cpSync(t.context.small, dir, { recursive: true })
  writeFileSync(join(dir, 'color', '1', 'z0', 'y0', 'x0.wkw'), Buffer.alloc(64, 0x5a))
  const started = Date.now()
  const layer = (await Dataset.open(dir)).getLayer('color')
  const error = await t.throwsAsync(
    using(() => executor({ maxAttempts: 2 }), (e) => layer.downsample({ maxMag: 2, executor: e })),
    { instanceOf: TaskFailedError },
  )
  t.true(Date.now() - started < 60_000, `failed after ${Date.now() - started} ms`)
  t.is((error as TaskFailedError).attempts, 2)
  t.regex(error!.message, /x0\.wkw/, 'the log names the file')
  t.deepEqual(await registeredMags(dir), ['color/1', 'segmentation/1'])
})

serial('a coordinator killed mid-run and started again finishes without redoing the complete shards', async (t) => {
  const dir = join(root, 'bullmq-resume')
  cpSync(t.context.small, dir, { recursive: true })
  const args = ['downsample', dir, '--max', '8', '--distribution-strategy', 'bullmq', '--redis', redis.url, '-q']
  await resumeAfterKill(t, dir, args, root, t.context.reference.small)
})

serial('Redis restarted mid-run loses nothing: the run finishes with the files of the local run', async (t) => {
  let restarted = false
  const dir = await using(executor, (e) =>
    (async () => {
      cpSync(t.context.volume, join(root, 'bullmq-redis'), { recursive: true })
      const dataset = await Dataset.open(join(root, 'bullmq-redis'))
      for (const layer of dataset.layers.values()) {
        await layer.downsample({
          maxMag: 8,
          executor: e,
          onProgress: ({ done }) => {
            if (done > 0 && !restarted) {
              restarted = true
              redis.restart()
            }
          },
        })
      }
      return dataset.path
    })(),
  )
  t.true(restarted)
  t.deepEqual(digests(dir), t.context.reference.downsample)
})

serial('two runs on different layers of one dataset at once leave both layers\' mags in the properties', async (t) => {
  const dir = join(root, 'bullmq-two')
  cpSync(t.context.small, dir, { recursive: true })
  const run = (layer: string) => wk(['downsample', dir, '-l', layer, '--max', '8', '--distribution-strategy', 'bullmq', '--redis', redis.url, '-q'], { cwd: root })
  const results = await Promise.all([run('color'), run('segmentation')])
  for (const r of results) t.is(r.code, 0, r.stderr)
  t.deepEqual(await registeredMags(dir), ['color/1', 'color/2', 'color/4', 'color/8', 'segmentation/1', 'segmentation/2', 'segmentation/4', 'segmentation/8'])
  t.deepEqual(digests(dir), t.context.reference.small)
})

serial('an abort removes the queued tasks and stops the running ones; nothing is registered', async (t) => {
  const dir = join(root, 'bullmq-abort')
  cpSync(t.context.volume, dir, { recursive: true })
  const controller = new AbortController()
  const layer = (await Dataset.open(dir)).getLayer('segmentation')
  await t.throwsAsync(
    using(executor, (e) => layer.downsample({ maxMag: 8, executor: e, signal: controller.signal, onProgress: ({ done }) => done > 0 && controller.abort() })),
    { instanceOf: AbortError },
  )
  const queue = new Queue('webknossos', { connection: { host: '127.0.0.1', port: PORT } })
  try {
    let counts = await queue.getJobCounts('waiting', 'active', 'delayed')
    for (let i = 0; i < 100 && counts.active > 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      counts = await queue.getJobCounts('waiting', 'active', 'delayed')
    }
    t.deepEqual(counts, { waiting: 0, active: 0, delayed: 0 })
  } finally {
    await queue.close()
  }
  t.deepEqual(await registeredMags(dir), ['color/1', 'segmentation/1'])
})

serial('without a worker, a run fails after workerTimeout instead of waiting forever', async (t) => {
  const dir = join(root, 'bullmq-unserved')
  cpSync(t.context.small, dir, { recursive: true })
  const layer = (await Dataset.open(dir)).getLayer('color')
  const lonely = new BullMqExecutor({ connection: redis.url, queueName: 'nobody-serves-this', workerTimeout: 2000, pollInterval: 250 })
  const error = await t.throwsAsync(
    using(() => lonely, (e) => layer.downsample({ maxMag: 2, executor: e })),
    { message: /No worker has served queue "nobody-serves-this"/ },
  )
  t.is((error as { code?: string }).code, 'ERR_WK_IO')
})
