// The storage layer owns its files: no lost writes, no escapes from the dataset, no aborts of the
// process. Each test is a case a hostile but realistic user found (issue "A storage layer that
// owns its files"); each failed before the storage seam.
import test, { type ExecutionContext } from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, closeSync, ftruncateSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BoundingBox, Dataset, MAX_COORDINATE, WebknossosError, WkwDataset } from '../index'
import { randomArray } from './helpers/data'
import { FORMATS, compressedMag } from './helpers/formats'
import { tempDir } from './helpers/paths'

const code = (e: unknown) => (e as WebknossosError | undefined)?.code

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).sort() : []
}

function readJson(path: string) {
  return JSON.parse(readFileSync(join(path, 'datasource-properties.json'), 'utf8'))
}

for (const format of FORMATS) {
  test(`${format}: forEachChunk with 4 jobs into a compressed mag of 128³ shards loses no chunk`, async (t) => {
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const layer = await ds.addLayer('color', 'color', { dataFormat: format })
    const mag = await compressedMag(layer, format, 128)
    await mag.write({ data: new Uint8Array(256 * 128 * 128), shape: [256, 128, 128] })
    await mag.getView().forEachChunk(
      async (view, i) => {
        await view.write({ data: new Uint8Array(32 ** 3).fill((i % 250) + 1), shape: [32, 32, 32] })
      },
      { chunkSize: [32, 32, 32], jobs: 4 },
    )
    const all = (await mag.read({ offset: [0, 0, 0], size: [256, 128, 128] })).data as Uint8Array
    const chunks = [...new BoundingBox([0, 0, 0], [256, 128, 128]).chunk([32, 32, 32], [32, 32, 32])]
    const lost = chunks.filter((box, i) => all[box.topLeft[0] + 256 * (box.topLeft[1] + 128 * box.topLeft[2])] !== (i % 250) + 1)
    t.is(lost.length, 0, `${lost.length} of ${chunks.length} chunks lost`)
  })

  test(`${format}: a write at x = 2^53 - 2 is refused before anything is written`, async (t) => {
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const layer = await ds.addLayer('color', 'color', { dataFormat: format })
    const mag = await layer.addMag(1)
    const before = filesUnder(mag.path)
    const error = await t.throwsAsync(mag.write({ data: new Uint8Array(8), shape: [2, 2, 2] }, { offset: [2 ** 53 - 2, 0, 0] }))
    t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
    t.deepEqual(filesUnder(mag.path), before)
    t.true(layer.boundingBox.isEmpty())
    t.true(BoundingBox.fromWkw(readJson(ds.path).dataLayers[0].boundingBox).isEmpty())
    // Reads end within the largest coordinate too.
    t.is(code(await t.throwsAsync(mag.read({ offset: [MAX_COORDINATE, 0, 0], size: [1, 1, 1] }))), 'ERR_WK_INVALID_ARGUMENT')
  })

  test(`${format}: a read larger than a typed array holds is ERR_WK_INVALID_ARGUMENT, not a RangeError`, async (t) => {
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const mag = await (await ds.addLayer('color', 'color', { dataFormat: format })).addMag(1)
    const error = await t.throwsAsync(mag.read({ offset: [0, 0, 0], size: [4096, 4096, 4096] }))
    t.true(error instanceof WebknossosError)
    t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
  })

  test(`${format}: downsampling a layer whose box is 2^20 per axis visits only the shards on disk`, async (t) => {
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const layer = await ds.addLayer('color', 'color', { dataFormat: format })
    const mag = await layer.addMag(1)
    await mag.write({ data: randomArray('uint8', 64 ** 3, 3) as Uint8Array, shape: [64, 64, 64] })
    await layer.setBoundingBox(new BoundingBox([0, 0, 0], [2 ** 20, 2 ** 20, 2 ** 20]))
    await layer.downsampleMag({ fromMag: 1, targetMag: 2 })
    const target = layer.getMag(2)
    t.is((await target.array.shards()).length, 1)
    t.deepEqual((await target.read({ offset: [0, 0, 0], size: [32, 32, 32] })).shape, [1, 32, 32, 32])
  })

  test(`${format}: two Dataset objects adding layers at once keep both layers`, async (t) => {
    const path = join(tempDir(t), 'ds')
    await Dataset.create(path, { scale: [1, 1, 1] })
    const [a, b] = [await Dataset.open(path), await Dataset.open(path)]
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => a.addLayer(`a${i}`, 'color', { dataFormat: format })),
      ...Array.from({ length: 5 }, (_, i) => b.addLayer(`b${i}`, 'color', { dataFormat: format })),
    ])
    const names = readJson(path).dataLayers.map((l: { name: string }) => l.name).sort()
    t.deepEqual(names, ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4'])
    t.deepEqual([...(await Dataset.open(path)).layers.keys()].sort(), names)
    // Each object holds at least its own layers (and whatever it saw of the other's).
    t.true(['a0', 'a4'].every((n) => a.layers.has(n)) && ['b0', 'b4'].every((n) => b.layers.has(n)))
  })
}

test('a layer named ".." in the properties is ERR_WK_CORRUPT, and deleting nothing outside', async (t) => {
  const root = tempDir(t)
  const path = join(root, 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  await (await ds.addLayer('color', 'color')).addMag(1)
  writeFileSync(join(root, 'precious'), 'keep me')
  for (const name of ['..', '.', '', 'a/b', '../x', '/etc', 'x\u0000y', '.hidden']) {
    const json = readJson(path)
    json.dataLayers[0].name = name
    writeFileSync(join(path, 'datasource-properties.json'), JSON.stringify(json))
    const error = await t.throwsAsync(Dataset.open(path))
    t.is(code(error), 'ERR_WK_CORRUPT', `layer name ${JSON.stringify(name)}`)
    t.true(error?.message.includes(JSON.stringify(name)), error?.message)
  }
  t.is(readFileSync(join(root, 'precious'), 'utf8'), 'keep me')
})

test('names from callers are checked: addLayer, rename and addMag paths stay inside the dataset', async (t) => {
  const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color')
  for (const name of ['..', '', 'a/b', '.x', '/abs', 'a\\b']) {
    t.is(code(await t.throwsAsync(ds.addLayer(name, 'color'))), 'ERR_WK_INVALID_ARGUMENT', JSON.stringify(name))
    t.is(code(await t.throwsAsync(layer.rename(name))), 'ERR_WK_INVALID_ARGUMENT', JSON.stringify(name))
  }
  t.deepEqual(readdirSync(ds.path).sort(), ['color', 'datasource-properties.json'])
})

/** A dataset whose layer "color" has mag 1 inside and mag 2 stored at `path` (a reference outside). */
async function datasetWithForeignMag(t: ExecutionContext, stored: (root: string) => string) {
  const root = tempDir(t)
  const other = await Dataset.create(join(root, 'other'), { scale: [1, 1, 1] })
  const foreign = await (await other.addLayer('color', 'color')).addMag(2)
  await foreign.write({ data: randomArray('uint8', 32 ** 3, 5) as Uint8Array, shape: [32, 32, 32] })
  const path = join(root, 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color')
  await (await layer.addMag(1)).write({ data: randomArray('uint8', 64 ** 3, 6) as Uint8Array, shape: [64, 64, 64] })
  const json = readJson(path)
  json.dataLayers[0].mags = [
    { mag: [1, 1, 1], path: './color/1' },
    { mag: [2, 2, 2], path: stored(root) },
  ]
  delete json.dataLayers[0].wkwResolutions
  writeFileSync(join(path, 'datasource-properties.json'), JSON.stringify(json))
  const before = () => filesUnder(join(root, 'other'))
  return { root, path, foreignPath: join(root, 'other', 'color', '2'), snapshot: before(), before }
}

for (const [what, stored] of [
  ['"../other/color/2"', () => '../other/color/2'],
  ['an absolute path', (root: string) => join(root, 'other', 'color', '2')],
] as const) {
  test(`a mag stored at ${what} is read but never written, moved or deleted`, async (t) => {
    const { root, path, foreignPath, snapshot, before } = await datasetWithForeignMag(t, stored)
    const ds = await Dataset.open(path)
    const layer = ds.getLayer('color')
    const mag2 = layer.getMag(2)
    t.true(mag2.readOnly)
    t.is(mag2.path, foreignPath)
    t.is((await mag2.read({ offset: [0, 0, 0], size: [32, 32, 32] })).data.length, 32 ** 3)
    t.is(code(await t.throwsAsync(mag2.write({ data: new Uint8Array(1), shape: [1, 1, 1] }))), 'ERR_WK_READ_ONLY')
    t.is(code(await t.throwsAsync(mag2.compress())), 'ERR_WK_READ_ONLY')
    t.is(code(t.throws(() => mag2.getView({ readOnly: false }))), 'ERR_WK_READ_ONLY')
    // Downsampling from it writes only into the layer.
    await layer.downsampleMag({ fromMag: 2, targetMag: 4 })
    t.true(existsSync(join(path, 'color', '4')))
    // Compressing into a target and copying the dataset read it and write only there.
    await mag2.compress({ targetPath: join(root, 'compressed') })
    t.true(existsSync(join(root, 'compressed', 'color', '2')))
    const copy = await ds.copyDataset(join(root, 'copy'))
    t.true(copy.getLayer('color').getMag(2).owned)
    // Renaming the layer leaves the reference where it is; deleting the mag drops only its entry.
    await layer.rename('renamed')
    t.is(layer.getMag(2).path, foreignPath)
    await layer.deleteMag(2)
    t.false(layer.mags.has('2'))
    t.deepEqual(before(), snapshot, 'nothing changed in the other dataset')
    await ds.deleteLayer('renamed')
    t.deepEqual(before(), snapshot, 'nothing changed in the other dataset')
    t.true(existsSync(foreignPath))
  })
}

test('a mag path that is empty or holds NUL is ERR_WK_CORRUPT; a URL leaves the mag out', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  await (await ds.addLayer('color', 'color')).addMag(1)
  const store = (stored: string) => {
    const json = readJson(path)
    json.dataLayers[0].mags = [{ mag: [1, 1, 1], path: stored }]
    delete json.dataLayers[0].wkwResolutions
    writeFileSync(join(path, 'datasource-properties.json'), JSON.stringify(json))
  }
  for (const stored of ['', 'a\u0000b']) {
    store(stored)
    t.is(code(await t.throwsAsync(Dataset.open(path))), 'ERR_WK_CORRUPT', JSON.stringify(stored))
  }
  store('s3://bucket/x')
  const reopened = await Dataset.open(path)
  t.is(reopened.getLayer('color').mags.size, 0)
  t.is(readJson(path).dataLayers[0].mags[0].path, 's3://bucket/x')
})

test('a symlinked mag made by addSymlinkMag is writable, and deleting it removes the link only', async (t) => {
  const root = tempDir(t)
  const other = await Dataset.create(join(root, 'other'), { scale: [1, 1, 1] })
  await (await (await other.addLayer('color', 'color')).addMag(2)).write({ data: new Uint8Array(8).fill(3), shape: [2, 2, 2] })
  const ds = await Dataset.create(join(root, 'ds'), { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color')
  const linked = await layer.addSymlinkMag(join(root, 'other', 'color', '2'))
  t.false(linked.readOnly)
  await linked.write({ data: new Uint8Array(1).fill(9), shape: [1, 1, 1] })
  await layer.deleteMag(2)
  t.false(existsSync(join(root, 'ds', 'color', '2')))
  t.true(existsSync(join(root, 'other', 'color', '2', 'header.wkw')))
  t.is(((await other.getLayer('color').getMag(2).read({ size: [1, 1, 1] })).data as Uint8Array)[0], 9)
})

test('a header.wkw announcing 1024³ blocks of 255-byte voxels is ERR_WK_CORRUPT, not an abort', async (t) => {
  const dir = join(tempDir(t), 'mag')
  await WkwDataset.create(dir, { voxelType: 'uint8' })
  const header = readFileSync(join(dir, 'header.wkw'))
  header[4] = 0x0a // 1024³ blocks, one block per file
  header[7] = 255
  writeFileSync(join(dir, 'header.wkw'), header)
  const error = await t.throwsAsync(WkwDataset.open(dir))
  t.is(code(error), 'ERR_WK_CORRUPT')
  t.regex(error!.message, /exceeds 256 MiB/)
})

test('a raw data file whose data offset is near 2^64 is ERR_WK_CORRUPT, not another block', async (t) => {
  const dir = join(tempDir(t), 'mag')
  const ds = await WkwDataset.create(dir, { voxelType: 'uint8', blockLen: 8, fileLen: 2 })
  await ds.write([0, 0, 0], { data: randomArray('uint8', 16 ** 3, 2) as Uint8Array, shape: [16, 16, 16] })
  const file = join(dir, 'z0', 'y0', 'x0.wkw')
  const bytes = readFileSync(file)
  for (const offset of [2n ** 64n - 512n, 2n ** 64n - 8n, 2n ** 63n]) {
    bytes.writeBigUInt64LE(offset, 8)
    writeFileSync(file, bytes)
    const reopened = await WkwDataset.open(dir)
    t.is(code(await t.throwsAsync(reopened.read([8, 0, 0], [8, 8, 8]))), 'ERR_WK_CORRUPT', `offset ${offset}`)
  }
})

test('a FIFO in place of the properties, a header or a data file is ERR_WK_CORRUPT at once', async (t) => {
  const root = tempDir(t)
  const fifo = (path: string) => {
    rmSync(path, { force: true })
    execFileSync('mkfifo', [path])
  }
  const ds = await Dataset.create(join(root, 'ds'), { scale: [1, 1, 1] })
  const mag = await (await ds.addLayer('color', 'color')).addMag(1)
  await mag.write({ data: new Uint8Array(8), shape: [2, 2, 2] })
  fifo(join(mag.path, 'z0', 'y0', 'x0.wkw'))
  t.is(code(await t.throwsAsync(mag.read({ size: [2, 2, 2] }))), 'ERR_WK_CORRUPT')
  fifo(join(mag.path, 'header.wkw'))
  t.is(code(await t.throwsAsync(WkwDataset.open(mag.path))), 'ERR_WK_CORRUPT')
  fifo(join(ds.path, 'datasource-properties.json'))
  t.is(code(await t.throwsAsync(Dataset.open(ds.path))), 'ERR_WK_CORRUPT')
})

test('addMag checks block and file lengths instead of truncating them', async (t) => {
  const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color')
  for (const opts of [{ blockLen: 32.7 }, { fileLen: 2 ** 32 + 32 }, { blockLen: 0 }, { fileLen: 256 }, { blockLen: 2048 }, { chunkShape: [32, 32, 33] }]) {
    t.is(code(await t.throwsAsync(layer.addMag(1, opts as never))), 'ERR_WK_INVALID_ARGUMENT', JSON.stringify(opts))
  }
  t.deepEqual(readdirSync(layer.path), [])
})

test('a mag is opened once: 1000 one-voxel reads do not read a 2 GiB header.wkw again', async (t) => {
  const dir = join(tempDir(t), 'mag')
  const ds = await WkwDataset.create(dir, { voxelType: 'uint8' })
  await ds.write([0, 0, 0], { data: new Uint8Array(8).fill(4), shape: [2, 2, 2] })
  const fd = openSync(join(dir, 'header.wkw'), 'r+')
  ftruncateSync(fd, 2 ** 31)
  closeSync(fd)
  const reopened = await WkwDataset.open(dir)
  for (let i = 0; i < 1000; i++) t.is(((await reopened.read([1, 1, 1], [1, 1, 1])).data as Uint8Array)[0], 4)
})

test('temporary files of a killed writer are ignored by reads and removed by the next writer of the file', async (t) => {
  const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
  const mag = await (await ds.addLayer('color', 'color')).addMag(1, { compress: true })
  await mag.write({ data: new Uint8Array(8).fill(1), shape: [2, 2, 2] })
  const dir = join(mag.path, 'z0', 'y0')
  // A writer with a pid that cannot be running left its temporary file behind.
  writeFileSync(join(dir, '.x0.wkw.4194304-7.tmp'), 'half a file')
  t.is(((await mag.read({ size: [1, 1, 1] })).data as Uint8Array)[0], 1)
  await mag.write({ data: new Uint8Array(8).fill(2), shape: [2, 2, 2] })
  t.deepEqual(readdirSync(dir), ['x0.wkw'])
})

test('a layer or mag directory left by a killed addLayer or addMag does not block a retry', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  mkdirSync(join(path, 'color'))
  const layer = await ds.addLayer('color', 'color')
  await WkwDataset.create(join(path, 'color', '1'), { voxelType: 'uint8' })
  const mag = await layer.addMag(1)
  t.is(mag.name, '1')
  // A directory with data in it is someone's, and is kept.
  const other = await WkwDataset.create(join(path, 'color', '2'), { voxelType: 'uint8' })
  await other.write([0, 0, 0], { data: new Uint8Array(1), shape: [1, 1, 1] })
  t.is(code(await t.throwsAsync(layer.addMag(2))), 'ERR_WK_ALREADY_EXISTS')
})

test('a symlinked layer directory pointing elsewhere is followed for reads and deleting it removes the link', async (t) => {
  const root = tempDir(t)
  const other = await Dataset.create(join(root, 'other'), { scale: [1, 1, 1] })
  await (await (await other.addLayer('color', 'color')).addMag(1)).write({ data: new Uint8Array(1).fill(7), shape: [1, 1, 1] })
  const ds = await Dataset.create(join(root, 'ds'), { scale: [1, 1, 1] })
  symlinkSync(join(root, 'other', 'color'), join(root, 'ds', 'color'))
  const json = readJson(join(root, 'ds'))
  json.dataLayers = readJson(join(root, 'other')).dataLayers
  writeFileSync(join(root, 'ds', 'datasource-properties.json'), JSON.stringify(json))
  const reopened = await Dataset.open(ds.path)
  t.is(((await reopened.getLayer('color').getMag(1).read({ size: [1, 1, 1] })).data as Uint8Array)[0], 7)
  await reopened.deleteLayer('color')
  t.true(existsSync(join(root, 'other', 'color', '1', 'header.wkw')))
})
