// Interop of whole datasets with today's Python `webknossos` package (PyPI, in .venv-ref), in
// every format: what one library writes, the other opens with the same layers, boxes, mags and
// voxels; tensorstore reads our Zarr arrays directly, and zarrita.js (an independent client)
// reads them too.
import anyTest from 'ava'
import { join } from 'node:path'
import { type DataFormat, Dataset, type DType } from '../index'
import { bytes } from './helpers/data'
import { FORMATS } from './helpers/formats'
import { assertSameDataset, describe } from './helpers/interop'
import { oracle, readBytes, withReference, writeBytes } from './helpers/reference'
import { tempDir } from './helpers/paths'
import { randomVoxels, readJson } from './helpers/voxels'

const test = withReference(anyTest)

/** Layer specs of both directions: every dtype the reference allows per category, 1 and 3 channels. */
const LAYERS: { name: string; category: 'color' | 'segmentation'; dtype: DType; numChannels: number; shape: [number, number, number]; offset: [number, number, number]; coarsestMag?: number; largestSegmentId?: number }[] = [
  { name: 'color', category: 'color', dtype: 'uint8', numChannels: 1, shape: [90, 70, 50], offset: [5, 6, 7], coarsestMag: 4 },
  { name: 'rgb', category: 'color', dtype: 'uint8', numChannels: 3, shape: [40, 30, 20], offset: [0, 0, 0] },
  { name: 'uint16', category: 'color', dtype: 'uint16', numChannels: 1, shape: [33, 34, 35], offset: [100, 200, 300] },
  { name: 'int16x3', category: 'color', dtype: 'int16', numChannels: 3, shape: [20, 21, 22], offset: [3, 3, 3] },
  { name: 'float32', category: 'color', dtype: 'float32', numChannels: 1, shape: [24, 25, 26], offset: [0, 40, 0] },
  { name: 'int8', category: 'color', dtype: 'int8', numChannels: 1, shape: [17, 18, 19], offset: [1, 2, 3] },
  { name: 'segmentation', category: 'segmentation', dtype: 'uint64', numChannels: 1, shape: [64, 64, 32], offset: [32, 0, 0], coarsestMag: 2, largestSegmentId: 999 },
  { name: 'seg32', category: 'segmentation', dtype: 'uint32', numChannels: 1, shape: [40, 40, 40], offset: [0, 0, 8], largestSegmentId: 7 },
  { name: 'int64', category: 'segmentation', dtype: 'int64', numChannels: 1, shape: [16, 16, 16], offset: [0, 0, 0], largestSegmentId: 5 },
]

/** Chunk and shard shapes per format: small shards, so that the test data spans several. */
const SHAPES: Record<DataFormat, { chunkShape: number; shardShape: number }> = {
  wkw: { chunkShape: 16, shardShape: 64 },
  zarr3: { chunkShape: 16, shardShape: 64 },
  zarr: { chunkShape: 32, shardShape: 32 },
}

for (const format of FORMATS) {
  test(`${format}: today's webknossos opens a dataset we create with the same layers, boxes, mags and voxels`, async (t) => {
    const dir = tempDir(t)
    const path = join(dir, 'ours')
    const dataset = await Dataset.create(path, { scale: [11.24, 11.24, 28] })
    for (const [i, l] of LAYERS.entries()) {
      const layer = await dataset.addLayer(l.name, l.category, { dtypePerChannel: l.dtype, numChannels: l.numChannels, dataFormat: format, largestSegmentId: l.largestSegmentId })
      const voxels = randomVoxels(l.dtype, [l.numChannels, ...l.shape], 1 + i)
      await (await layer.addMag(1, { ...SHAPES[format], compress: i % 2 === 0 })).write(voxels, { offset: l.offset })
      if (l.coarsestMag) await layer.downsample({ maxMag: l.coarsestMag })
    }
    await assertSameDataset(t, path, describe(path, dir))
  })

  test(`${format}: we open a dataset today's webknossos creates with the same layers, boxes, mags and voxels`, async (t) => {
    const dir = tempDir(t)
    const path = join(dir, 'theirs')
    const inputs = LAYERS.map((l, i) => {
      const voxels = randomVoxels(l.dtype, [l.numChannels, ...l.shape], 10 + i)
      writeBytes(join(dir, `${l.name}.in`), voxels.data)
      return voxels
    })
    const specs = LAYERS.map((l, i) => ({ ...l, ...SHAPES[format], dataFormat: format, compress: i % 2 === 0, in: join(dir, `${l.name}.in`) }))
    oracle({ op: 'dataset_create', path, voxelSize: [11.24, 11.24, 28], layers: specs })
    await assertSameDataset(t, path, describe(path, dir))
    const ours = await Dataset.open(path)
    for (const [i, l] of LAYERS.entries()) {
      const read = await ours.getLayer(l.name).getMag(1).read({ offset: l.offset, size: l.shape })
      t.true(Buffer.compare(bytes(read.data), bytes(inputs[i].data)) === 0, `${l.name}: mag 1 holds what the reference was given`)
    }
    // A change of ours is saved in the form the reference wrote, and the reference reads it.
    const written = readJson(path)
    const color = ours.getLayer('color')
    await color.getMag(1).write(randomVoxels('uint8', [1, 32, 32, 32], 20), { offset: [96, 0, 0] })
    t.deepEqual([...color.boundingBox.topLeft, ...color.boundingBox.size], [5, 0, 0, 123, 76, 57])
    const saved = readJson(path)
    t.deepEqual(saved.scale, written.scale)
    t.deepEqual(saved.version, written.version)
    t.deepEqual(
      saved.dataLayers.map((l: { mags: unknown }) => l.mags),
      written.dataLayers.map((l: { mags: unknown }) => l.mags),
    )
    await assertSameDataset(t, path, describe(path, dir))
  })
}

test("we open a dataset today's webknossos creates with all its defaults (Zarr v3, sharded, compressed)", async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'defaults')
  const layers = [
    { name: 'color', category: 'color', dtype: 'uint8' as DType, numChannels: 1, shape: [100, 90, 80], offset: [10, 0, 0], coarsestMag: 4 },
    { name: 'segmentation', category: 'segmentation', dtype: 'uint32' as DType, numChannels: 1, shape: [64, 64, 64], offset: [0, 0, 0], largestSegmentId: 40, coarsestMag: 2 },
  ]
  for (const [i, l] of layers.entries()) writeBytes(join(dir, `${l.name}.in`), randomVoxels(l.dtype, [1, ...(l.shape as [number, number, number])], 30 + i).data)
  oracle({ op: 'dataset_create', path, voxelSize: [11.24, 11.24, 28], layers: layers.map((l) => ({ ...l, in: join(dir, `${l.name}.in`) })) })
  const ours = await Dataset.open(path)
  t.deepEqual([...ours.layers.values()].map((l) => l.dataFormat), ['zarr3', 'zarr3'])
  t.deepEqual(ours.getLayer('color').getMag(1).info, { dataFormat: 'zarr3', voxelType: 'uint8', numChannels: 1, chunkShape: [32, 32, 32], shardShape: [1024, 1024, 1024], compression: 'zstd' })
  await assertSameDataset(t, path, describe(path, dir))
})

test("tensorstore reads our Zarr v3 and Zarr v2 arrays directly, with the same voxels", async (t) => {
  const dir = tempDir(t)
  const dataset = await Dataset.create(join(dir, 'ds'), { scale: [1, 1, 1] })
  for (const [format, driver] of [['zarr3', 'zarr3'], ['zarr', 'zarr']] as const) {
    for (const [dtype, channels] of [['uint8', 3], ['uint16', 1], ['float64', 1]] as [DType, number][]) {
      const name = `${format}-${dtype}`
      const layer = await dataset.addLayer(name, 'color', { dtypePerChannel: dtype, numChannels: channels, dataFormat: format })
      const voxels = randomVoxels(dtype, [channels, 70, 50, 40], 40)
      const mag = await layer.addMag(1, { chunkShape: 16, shardShape: format === 'zarr' ? 16 : 64 })
      await mag.write(voxels)
      const out = join(dir, `${name}.bin`)
      const answer = oracle<{ shape: number[]; dtype: string }>({ op: 'tensorstore_read', driver, path: mag.path, shape: [channels, 70, 50, 40], out })
      t.is(answer.dtype, dtype)
      t.true(Buffer.compare(readBytes(out), bytes(voxels.data)) === 0, `${name}: tensorstore reads other voxels`)
    }
  }
})

