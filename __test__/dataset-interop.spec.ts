// Interop of whole datasets with today's Python `webknossos` package (PyPI, in .venv-ref): what
// one library writes, the other opens with the same layers, boxes, mags and voxels.
import anyTest, { type ExecutionContext } from 'ava'
import { join } from 'node:path'
import { Dataset, type DType } from '../index'
import { bytes } from './helpers/data'
import { oracle, readBytes, withReference, writeBytes } from './helpers/reference'
import { tempDir } from './helpers/paths'
import { randomVoxels, readJson } from './helpers/voxels'

const test = withReference(anyTest)

interface DescribedMag {
  mag: string
  topLeft: number[]
  size: number[]
  blockLen: number
  fileLen: number
  compressed: boolean
  out: string
}

interface DescribedLayer {
  name: string
  category: string
  dataFormat: string
  dtype: string
  numChannels: number
  topLeft: number[]
  size: number[]
  largestSegmentId: number | null
  mags: DescribedMag[]
}

interface Described {
  name: string
  voxelSize: number[]
  layers: DescribedLayer[]
}

function describe(path: string, out: string): Described {
  return oracle<Described>({ op: 'dataset_describe', path, out })
}

/** Asserts that our view of the dataset at `path` is what the reference reported, voxel for voxel. */
async function assertSameDataset(t: ExecutionContext, path: string, theirs: Described): Promise<void> {
  const ours = await Dataset.open(path)
  t.is(theirs.name, ours.name)
  t.deepEqual(theirs.voxelSize, [...ours.scale])
  t.deepEqual(
    theirs.layers.map((l) => l.name),
    [...ours.layers.keys()],
  )
  for (const their of theirs.layers) {
    const layer = ours.getLayer(their.name)
    const where = `layer ${their.name}`
    t.is(their.dataFormat, 'wkw', where)
    t.is(their.category, layer.category, where)
    t.is(their.dtype, layer.dtypePerChannel, where)
    t.is(their.numChannels, layer.numChannels, where)
    t.deepEqual(their.topLeft, [...layer.boundingBox.topLeft], where)
    t.deepEqual(their.size, [...layer.boundingBox.size], where)
    const largest = 'largestSegmentId' in layer ? (layer as { largestSegmentId: number }).largestSegmentId : null
    t.is(their.largestSegmentId, largest, where)
    t.deepEqual(
      their.mags.map((m) => m.mag).sort(),
      [...layer.mags.keys()].sort(),
      where,
    )
    for (const mag of their.mags) {
      const view = layer.getMag(mag.mag)
      const at = `${where}, mag ${mag.mag}`
      t.deepEqual([mag.blockLen, mag.fileLen, mag.compressed], [view.header.blockLen, view.header.fileLen, view.header.blockType !== 'raw'], at)
      const voxels = await view.read({ offset: mag.topLeft as never, size: mag.size as never })
      t.deepEqual(voxels.shape, [their.numChannels, ...mag.size], at)
      const same = Buffer.compare(bytes(voxels.data), readBytes(mag.out)) === 0
      t.true(same, `${at}: the voxels differ`)
      t.true(voxels.data.some((v) => v !== 0 && v !== 0n), `${at} holds data`)
    }
  }
}

test("today's webknossos opens a dataset we create with the same layers, boxes, mags and voxels", async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'ours')
  const dataset = await Dataset.create(path, { scale: [11.24, 11.24, 28] })

  const color = await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  await (await color.addMag(1)).write(randomVoxels('uint8', [1, 100, 80, 40], 1), { offset: [10, 20, 5] })
  await color.downsample({ maxMag: 4 }) // 2-2-1 and 4-4-2, LZ4HC

  const rgb = await dataset.addLayer('rgb', 'color', { dtypePerLayer: 'uint24', numChannels: 3 })
  await (await rgb.addMag(1, { blockLen: 16, fileLen: 4, compress: true })).write(randomVoxels('uint8', [3, 64, 64, 64], 2), { offset: [64, 0, 128] })

  const segmentation = await dataset.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 1234 })
  const labels = randomVoxels('uint32', [1, 70, 60, 50], 3)
  for (let i = 0; i < labels.data.length; i++) (labels.data as Uint32Array)[i] %= 1235
  await (await segmentation.addMag(1, { blockLen: 16, fileLen: 8 })).write(labels, { offset: [33, 17, 9] })
  await segmentation.downsample({ maxMag: 2 }) // 2-2-1, mode

  t.deepEqual([...color.mags.keys()], ['1', '2-2-1', '4-4-2'])
  await assertSameDataset(t, path, describe(path, dir))
})

test("we open a dataset today's webknossos creates in WKW with the same layers, boxes, mags and voxels", async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'theirs')
  const layers: { name: string; category: string; dtype: DType; numChannels: number; shape: [number, number, number]; offset: number[]; blockLen: number; fileLen: number; compress: boolean; coarsestMag?: number; largestSegmentId?: number }[] = [
    { name: 'color', category: 'color', dtype: 'uint8', numChannels: 1, shape: [90, 70, 50], offset: [5, 6, 7], blockLen: 32, fileLen: 32, compress: true, coarsestMag: 4 },
    { name: 'rgb', category: 'color', dtype: 'uint8', numChannels: 3, shape: [40, 30, 20], offset: [0, 0, 0], blockLen: 16, fileLen: 2, compress: false },
    { name: 'uint16', category: 'color', dtype: 'uint16', numChannels: 1, shape: [33, 34, 35], offset: [100, 200, 300], blockLen: 8, fileLen: 4, compress: true },
    { name: 'segmentation', category: 'segmentation', dtype: 'uint64', numChannels: 1, shape: [64, 64, 32], offset: [32, 0, 0], blockLen: 32, fileLen: 4, compress: true, coarsestMag: 2, largestSegmentId: 999 },
  ]
  const inputs = layers.map((l, i) => {
    const voxels = randomVoxels(l.dtype, [l.numChannels, ...l.shape], 10 + i)
    writeBytes(join(dir, `${l.name}.in`), voxels.data)
    return voxels
  })
  oracle({ op: 'dataset_create', path, voxelSize: [11.24, 11.24, 28], layers: layers.map((l) => ({ ...l, in: join(dir, `${l.name}.in`) })) })

  const written = readJson(path)
  t.true(written.dataLayers.every((l: Record<string, unknown>) => Array.isArray(l.mags)), 'the reference writes "mags"')
  await assertSameDataset(t, path, describe(path, dir))

  const ours = await Dataset.open(path)
  for (const [i, l] of layers.entries()) {
    const read = await ours.getLayer(l.name).getMag(1).read({ offset: l.offset as never, size: l.shape })
    t.true(Buffer.compare(bytes(read.data), bytes(inputs[i].data)) === 0, `${l.name}: mag 1 holds what the reference was given`)
  }

  // A change of ours is saved in the form the reference wrote, and the reference reads it.
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
