// Remote datasets: S3 (a moto server on loopback) gives the same files and voxels as a local
// disk for every operation; HTTP datasets behind a plain static file server read correctly,
// through failing and slow servers, and a truncated body is an error, never wrong data.
import test, { type ExecutionContext } from 'ava'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BoundingBox, type DataFormat, Dataset, SegmentationLayer, type Vec3, WebknossosError } from '../index'
import { wk } from './helpers/cli'
import { digests } from './helpers/executors'
import { assertSameDataset, describe } from './helpers/interop'
import { skipReason, tempDir } from './helpers/paths'
import { oracle, python, writeBytes } from './helpers/reference'
import { startS3 } from './helpers/services'
import { code, random3d, randomBelow } from './helpers/voxels'

const BUCKET = 'wk-test'
const s3 = startS3(9012, '/tmp/wk-s3-test')
test.after.always(() => s3.stop())
if (!s3.unavailable) s3.createBucket(BUCKET)

const s3Test = s3.unavailable ? test.skip : test
const s3Serial = s3.unavailable ? test.skip : test.serial
let datasets = 0
const s3Url = (name: string) => `s3://${BUCKET}/${name}-${process.pid}-${datasets++}`

const EDGE = 96
const color = random3d('uint8', [EDGE, EDGE, EDGE], 7)
const ids = Uint32Array.from(randomBelow(50, [1, EDGE, EDGE, EDGE], 8).data as Uint8Array)

/** Options of mag 1 in `format`: several shards per layer, chunks of 32³. */
const magOptions = (format: DataFormat) => (format === 'wkw' ? { blockLen: 32, fileLen: 2 } : { chunkShape: 32, shardShape: 64 })

/** The same dataset wherever `location` is: two layers, an unaligned write, compression, a pyramid. */
async function build(location: string, format: DataFormat): Promise<Dataset> {
  const dataset = await Dataset.create(location, { scale: [11, 11, 24], name: 'remote' })
  const grey = await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8', dataFormat: format })
  const segmentation = await dataset.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 49, dataFormat: format })
  const mag = await grey.addMag(1, magOptions(format))
  await mag.write(color, { offset: [5, 3, 1] })
  await mag.compress()
  await (await segmentation.addMag(1, { ...magOptions(format), compress: true })).write({ data: ids, shape: [EDGE, EDGE, EDGE] }, { offset: [0, 0, 0] })
  for (const layer of [grey, segmentation]) await layer.downsample({ maxMag: 4 })
  return dataset
}

/** What a reader sees: layers, their boxes and every mag's voxels. */
async function contents(dataset: Dataset) {
  const out: Record<string, unknown> = {}
  for (const layer of dataset.layers.values()) {
    out[layer.name] = `${layer.category} ${layer.boundingBox} ${[...layer.mags.keys()]}`
    for (const view of layer.mags.values()) {
      const box = layer.boundingBox.alignWithMag(view.mag, { ceil: true }).inMag(view.mag)
      out[`${layer.name}/${view.name}`] = Buffer.from((await view.read({ offset: box.topLeft, size: box.size })).data.buffer).toString('base64')
    }
  }
  return out
}

for (const format of ['wkw', 'zarr3'] as const) {
  s3Test(`${format}: create, write, compress and downsample on S3 give the files and voxels of a local disk`, async (t) => {
    const local = join(tempDir(t), 'ds')
    const url = s3Url(`${format}-build`)
    const [onDisk, onS3] = [await build(local, format), await build(url, format)]
    t.deepEqual(s3.digests(BUCKET, `${url.slice(`s3://${BUCKET}/`.length)}/`), withProperties(local))
    t.deepEqual(await contents(await Dataset.open(url)), await contents(onDisk))
    t.deepEqual(await contents(onS3), await contents(onDisk))
  })

  s3Test(`${format}: copyDataset from S3 to a local disk and back gives the same voxels and files`, async (t) => {
    const url = s3Url(`${format}-copy`)
    const source = await build(url, format)
    const local = join(tempDir(t), 'copy')
    const copy = await source.copyDataset(local)
    t.deepEqual(await contents(copy), await contents(source))
    const back = s3Url(`${format}-back`)
    await copy.copyDataset(back)
    // The properties differ in the dataset's name only, which is the directory's.
    const { 'datasource-properties.json': _, ...files } = s3.digests(BUCKET, `${back.slice(`s3://${BUCKET}/`.length)}/`)
    t.deepEqual(files, digests(local))
  })
}

/** Digests of every file of a local dataset, the properties included. */
function withProperties(dir: string): Record<string, string> {
  const all = digests(dir)
  all['datasource-properties.json'] = createHash('sha256').update(readFileSync(join(dir, 'datasource-properties.json'))).digest('hex')
  return all
}

s3Test('S3: layers added by two Dataset objects both survive; symlinks are refused', async (t) => {
  const url = s3Url('layers')
  await Dataset.create(url, { scale: [1, 1, 1] })
  const [a, b] = [await Dataset.open(url), await Dataset.open(url)]
  await Promise.all([a.addLayer('one', 'color', { dtypePerChannel: 'uint8' }), b.addLayer('two', 'color', { dtypePerChannel: 'uint8' })])
  t.deepEqual([...(await Dataset.open(url)).layers.keys()].sort(), ['one', 'two'])
  const local = join(tempDir(t), 'local')
  const other = await Dataset.create(local, { scale: [1, 1, 1] })
  await other.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  const error = await t.throwsAsync(a.addSymlinkLayer(join(local, 'color')))
  t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
})

s3Test('S3: a missing bucket or dataset is an error naming the URL, and nothing hangs', async (t) => {
  for (const url of [`s3://no-such-bucket-${process.pid}/ds`, s3Url('missing')]) {
    const error = await t.throwsAsync(Dataset.open(url))
    t.true(error instanceof WebknossosError, String(error))
    t.true(['ERR_WK_NOT_FOUND', 'ERR_WK_IO'].includes(code(error) ?? ''), `${code(error)}: ${error?.message}`)
    t.true(error?.message.includes(url), error?.message)
  }
})

// Serial (ava runs serial tests before the others): it takes the endpoint out of the environment.
s3Serial('S3: storage options in the call take the place of the environment', async (t) => {
  const url = s3Url('options')
  const saved = process.env.AWS_ENDPOINT_URL
  delete process.env.AWS_ENDPOINT_URL
  t.teardown(() => {
    process.env.AWS_ENDPOINT_URL = saved
  })
  const storage = { endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' }
  const dataset = await Dataset.create(url, { scale: [1, 1, 1], storage })
  const mag = await (await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8' })).addMag(1)
  const data = random3d('uint8', [40, 40, 40], 3)
  await mag.write(data, { offset: [0, 0, 0] })
  const reopened = await Dataset.open(url, { storage })
  t.deepEqual((await reopened.getLayer('color').getMag(1).read({ offset: [0, 0, 0], size: [40, 40, 40] })).data, data.data)
})

// ---------------------------------------------------------------------------------------------
// HTTP: a local dataset behind serve-static, the static file handler of Express (helpers/static-server.ts).

type Fault = 'none' | 'fail' | 'slow' | 'truncate'

/** The URL of a static file server of `root` in its own process, with `fault` injected. */
async function serve(t: ExecutionContext, root: string, fault: Fault = 'none'): Promise<string> {
  const server = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'helpers', 'static-server.ts'), root, fault], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => void server.kill())
  const [port] = await once(createInterface({ input: server.stdout }), 'line')
  return `http://127.0.0.1:${port}`
}

/** A local dataset of every kind a server meets: WKW raw and LZ4HC, Zarr v3, a segmentation. */
async function servedDataset(t: ExecutionContext): Promise<{ root: string; dataset: Dataset }> {
  const root = tempDir(t)
  const dataset = await Dataset.create(join(root, 'ds'), { scale: [1, 1, 1] })
  for (const [name, format, compress] of [['raw', 'wkw', false], ['lz4hc', 'wkw', true], ['zarr3', 'zarr3', true]] as const) {
    const layer = await dataset.addLayer(name, 'color', { dtypePerChannel: 'uint8', dataFormat: format })
    await (await layer.addMag(1, { ...magOptions(format), compress })).write(color, { offset: [0, 0, 0] })
  }
  const segmentation = await dataset.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 49 })
  await (await segmentation.addMag(1, { compress: true })).write({ data: ids, shape: [EDGE, EDGE, EDGE] }, { offset: [0, 0, 0] })
  return { root, dataset }
}

const REGION = { offset: [7, 20, 33] as Vec3, size: [70, 60, 50] as Vec3 }

async function sameAsLocal(t: ExecutionContext, url: string, dataset: Dataset): Promise<void> {
  const remote = await Dataset.open(url)
  t.deepEqual([...remote.layers.keys()], [...dataset.layers.keys()])
  for (const layer of dataset.layers.values()) {
    const there = remote.getLayer(layer.name)
    t.true(there.boundingBox.equals(layer.boundingBox))
    t.is(there instanceof SegmentationLayer, layer instanceof SegmentationLayer)
    const [a, b] = [await there.getMag(1).read(REGION), await layer.getMag(1).read(REGION)]
    t.deepEqual(a.data, b.data, layer.name)
  }
}

test('HTTP: a dataset behind a plain static file server reads as it does locally, in every format', async (t) => {
  const { root, dataset } = await servedDataset(t)
  await sameAsLocal(t, `${await serve(t, root)}/ds`, dataset)
})

test('HTTP: a server that fails every third request and one that answers slowly are survived', async (t) => {
  const { root, dataset } = await servedDataset(t)
  await sameAsLocal(t, `${await serve(t, root, 'fail')}/ds`, dataset)
  await sameAsLocal(t, `${await serve(t, root, 'slow')}/ds`, dataset)
})

test('HTTP: a truncated body is an error, never wrong data', async (t) => {
  const { root } = await servedDataset(t)
  const url = await serve(t, root, 'truncate')
  const remote = await Dataset.open(`${url}/ds`)
  for (const name of ['raw', 'lz4hc', 'zarr3']) {
    const error = await t.throwsAsync(remote.getLayer(name).getMag(1).read({ offset: [0, 0, 0], size: [EDGE, EDGE, EDGE] }))
    t.true(error instanceof WebknossosError, `${name}: ${error}`)
    t.true(['ERR_WK_IO', 'ERR_WK_CORRUPT'].includes(code(error) ?? ''), `${name}: ${code(error)} ${error?.message}`)
  }
})

test('HTTP: datasets are read-only: writes are ERR_WK_READ_ONLY and change nothing', async (t) => {
  const { root } = await servedDataset(t)
  const url = `${await serve(t, root)}/ds`
  const before = digests(join(root, 'ds'))
  const remote = await Dataset.open(url)
  const attempts = [
    () => remote.addLayer('new', 'color', { dtypePerChannel: 'uint8' }),
    () => remote.getLayer('raw').getMag(1).write(random3d('uint8', [8, 8, 8], 1), { offset: [0, 0, 0] }),
    () => Dataset.create(`${url}/other`, { scale: [1, 1, 1] }),
  ]
  for (const attempt of attempts) t.is(code(await t.throwsAsync(attempt())), 'ERR_WK_READ_ONLY')
  t.deepEqual(digests(join(root, 'ds')), before)
  t.true(new BoundingBox([0, 0, 0], [EDGE, EDGE, EDGE]).equals(remote.getLayer('raw').boundingBox))
})

// ---------------------------------------------------------------------------------------------
// Today's Python webknossos on the same S3 server (Zarr v3: its WKW support needs local files).

const s3Reference = s3.unavailable || !python ? test.skip : test
if (!python) skipReason('the Python reference is not installed (run scripts/setup-reference.sh)')

s3Reference("today's webknossos opens a Zarr v3 dataset written here on S3, with the same voxels", async (t) => {
  const url = s3Url('to-python')
  await build(url, 'zarr3')
  await assertSameDataset(t, url, describe(url, tempDir(t)))
})

s3Reference("a dataset today's webknossos creates on S3 with its defaults opens here, with the same voxels", async (t) => {
  const dir = tempDir(t)
  const url = s3Url('from-python')
  writeBytes(join(dir, 'color.in'), color.data)
  writeBytes(join(dir, 'segmentation.in'), ids)
  const layer = (name: string, category: string, dtype: string) => ({ name, category, dtype, numChannels: 1, shape: [EDGE, EDGE, EDGE], offset: [0, 0, 0], in: join(dir, `${name}.in`) })
  oracle({ op: 'dataset_create', path: url, voxelSize: [11.24, 11.24, 28], layers: [layer('color', 'color', 'uint8'), { ...layer('segmentation', 'segmentation', 'uint32'), largestSegmentId: 49, coarsestMag: 2 }] })
  const ours = await Dataset.open(url)
  t.deepEqual([...ours.layers.values()].map((l) => l.dataFormat), ['zarr3', 'zarr3'])
  await assertSameDataset(t, url, describe(url, dir))
  t.deepEqual((await ours.getLayer('color').getMag(1).read({ offset: [0, 0, 0], size: [EDGE, EDGE, EDGE] })).data, color.data)
})

s3Test('the CLI takes S3 URLs: wk info, wk downsample and wk copy-dataset to a local disk', async (t) => {
  const url = s3Url('cli')
  const dataset = await Dataset.create(url, { scale: [1, 1, 1] })
  const mag = await (await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8', dataFormat: 'zarr3' })).addMag(1)
  await mag.write(color, { offset: [0, 0, 0] })
  const downsampled = await wk(['downsample', url, '--max', '4'])
  t.is(downsampled.code, 0, downsampled.stderr)
  const info = await wk(['info', url, '--json'])
  t.is(info.code, 0, info.stderr)
  t.deepEqual(JSON.parse(info.stdout).layers[0].mags.map((m: { mag: string }) => m.mag), ['1', '2', '4'])
  const local = join(tempDir(t), 'copy')
  const copied = await wk(['copy-dataset', url, local])
  t.is(copied.code, 0, copied.stderr)
  t.deepEqual(await contents(await Dataset.open(local)), await contents(await Dataset.open(url)))
})

test('HTTP: wk info describes a served dataset (its file counts unknown, as a web server cannot list)', async (t) => {
  const { root } = await servedDataset(t)
  const info = await wk(['info', `${await serve(t, root)}/ds`])
  t.is(info.code, 0, info.stderr)
  t.regex(info.stdout, /lz4hc/)
  t.regex(info.stdout, /\n\s+1\s+wkw\s+32³\s+64³\s+lz4hc\s+\?\s/)
})
