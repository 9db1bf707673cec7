// Processes killed with SIGKILL at random moments (fixed seeds): a writer, a compressor, a
// downsampling and an adder of layers. Afterwards the properties parse, every file reads as its
// old or its new content, and running the same command again succeeds.
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, type MagView } from '../index'
import { randomArray } from './helpers/data'
import { FORMATS, compressedMag } from './helpers/formats'
import { tempDir } from './helpers/paths'
import { runWorker, seeded, startWorker } from './helpers/processes'

const ROUNDS = 3

/**
 * Runs `command` in a worker that kills itself with SIGKILL `delay` ms after it reported
 * `fraction` of its progress (so that the kill lands anywhere in a step); resolves with whether
 * it died before it finished.
 */
async function killed(command: Record<string, unknown>, fraction: number, delay: number): Promise<boolean> {
  const worker = startWorker({ ...command, killAt: { fraction, delay } })
  await worker.exit
  return !worker.finished()
}

/** Counts the rounds whose worker was killed before it finished: a test whose kills all came too late proves nothing. */
function interruptions(): { count(interrupted: boolean): void; check(t: import('ava').ExecutionContext): void } {
  let n = 0
  return {
    count: (interrupted) => void (interrupted && n++),
    check: (t) => {
      t.log(`${n} of ${ROUNDS} rounds killed mid-command`)
      t.true(n > 0, 'no round was killed before its command finished')
    },
  }
}

/** The properties parse and every shard of `mag` reads whole. */
async function readsWhole(mag: MagView): Promise<Uint8Array> {
  JSON.parse(readFileSync(join(mag.layer.dataset.path, 'datasource-properties.json'), 'utf8'))
  return (await mag.read({ size: mag.size })).data as Uint8Array
}

for (const format of FORMATS) {
  test(`${format}: a writer killed at random moments leaves every chunk old or new, and a rerun completes`, async (t) => {
    const next = seeded(11)
    const rounds = interruptions()
    const setup = async (name: string) => {
      const ds = await Dataset.create(join(tempDir(t), name), { scale: [1, 1, 1] })
      const layer = await ds.addLayer('color', 'color', { dataFormat: format })
      await (await compressedMag(layer, format, 128)).write({ data: new Uint8Array(256 * 128 * 128).fill(1), shape: [256, 128, 128] })
      return { op: 'write-chunks', path: ds.path, layer: 'color', mag: '1', offset: [0, 0, 0], size: [256, 128, 128], chunk: 32, value: 9 }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const command = await setup(`ds${round}`)
      const ds = { path: command.path as string }
      rounds.count(await killed(command, next() * 0.5, next() * 10))
      const mag = (await Dataset.open(ds.path)).getLayer('color').getMag(1)
      const data = await readsWhole(mag)
      let mixed = 0
      for (let z = 0; z < 128; z += 32) for (let y = 0; y < 128; y += 32) for (let x = 0; x < 256; x += 32) {
        const values = new Set<number>()
        for (let k = 0; k < 32; k++) for (let j = 0; j < 32; j++) for (let i = 0; i < 32; i++) values.add(data[x + i + 256 * (y + j + 128 * (z + k))])
        if (values.size !== 1 || !(values.has(1) || values.has(9))) mixed++
      }
      t.is(mixed, 0, `round ${round}: ${mixed} chunks neither old nor new`)
      await runWorker(command)
      t.true((await readsWhole((await Dataset.open(ds.path)).getLayer('color').getMag(1))).every((v) => v === 9))
    }
    rounds.check(t)
  })

  test(`${format}: a compression killed at random moments keeps every voxel, and a rerun completes`, async (t) => {
    const next = seeded(12)
    const rounds = interruptions()
    const original = randomArray('uint8', 256 * 256 * 128, 4) as Uint8Array
    const setup = async (name: string) => {
      const ds = await Dataset.create(join(tempDir(t), name), { scale: [1, 1, 1] })
      const layer = await ds.addLayer('color', 'color', { dataFormat: format })
      const mag = await layer.addMag(1, { chunkShape: 32, shardShape: format === 'zarr' ? 32 : 64, compress: false })
      await mag.write({ data: original, shape: [256, 256, 128] })
      return { op: 'compress', path: ds.path, layer: 'color', mag: '1' }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const command = await setup(`ds${round}`)
      const ds = { path: command.path as string }
      rounds.count(await killed(command, next() * 0.5, next() * 10))
      t.deepEqual(await readsWhole((await Dataset.open(ds.path)).getLayer('color').getMag(1)), original, `round ${round}`)
      await runWorker(command)
      const compressed = (await Dataset.open(ds.path)).getLayer('color').getMag(1)
      t.not(compressed.info.compression, 'none')
      t.deepEqual(await readsWhole(compressed), original)
    }
    rounds.check(t)
  })

  test(`${format}: a downsampling killed at random moments leaves readable registered mags, and a rerun gives the clean result`, async (t) => {
    const next = seeded(13)
    const rounds = interruptions()
    const source = randomArray('uint8', 256 * 256 * 64, 5) as Uint8Array
    const clean = await Dataset.create(join(tempDir(t), 'clean'), { scale: [1, 1, 1] })
    const cleanLayer = await clean.addLayer('color', 'color', { dataFormat: format })
    await (await cleanLayer.addMag(1, { shardShape: format === 'zarr' ? 32 : 64 })).write({ data: source, shape: [256, 256, 64] })
    await cleanLayer.downsample({ compress: true })
    const setup = async (name: string) => {
      const ds = await Dataset.create(join(tempDir(t), name), { scale: [1, 1, 1] })
      const layer = await ds.addLayer('color', 'color', { dataFormat: format })
      await (await layer.addMag(1, { shardShape: format === 'zarr' ? 32 : 64 })).write({ data: source, shape: [256, 256, 64] })
      return { op: 'downsample', path: ds.path, layer: 'color' }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const command = await setup(`ds${round}`)
      const ds = { path: command.path as string }
      rounds.count(await killed(command, next() * 0.5, next() * 10))
      for (const mag of (await Dataset.open(ds.path)).getLayer('color').mags.values()) await readsWhole(mag)
      await runWorker(command)
      const done = (await Dataset.open(ds.path)).getLayer('color')
      t.deepEqual([...done.mags.keys()], [...cleanLayer.mags.keys()], `round ${round}`)
      for (const [name, mag] of cleanLayer.mags) t.deepEqual(await readsWhole(done.getMag(name)), await readsWhole(mag), `mag ${name}`)
    }
    rounds.check(t)
  })

  test(`${format}: an adder of layers killed at random moments leaves parseable properties, and a rerun adds them all`, async (t) => {
    const next = seeded(14)
    const rounds = interruptions()
    const setup = async (name: string) => {
      const path = join(tempDir(t), name)
      await Dataset.create(path, { scale: [1, 1, 1] })
      return { op: 'add-layers', path, prefix: 'layer', count: 40, dataFormat: format }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const command = await setup(`ds${round}`)
      const path = command.path
      rounds.count(await killed(command, next() * 0.5, next() * 10))
      const partial = await Dataset.open(path)
      t.true(partial.layers.size <= 40)
      await runWorker(command)
      t.is((await Dataset.open(path)).layers.size, 40)
    }
    rounds.check(t)
  })
}
