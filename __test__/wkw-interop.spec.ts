import anyTest from 'ava'
import { join } from 'node:path'
import { type DType, WkwDataset } from '../index'
import { bytes, randomArray } from './helpers/data'
import { fixturesDir, haveFixtures, skipReason, tempDir } from './helpers/paths'
import { oracle, readBytes, withReference, writeBytes } from './helpers/reference'

const test = withReference(anyTest)

const cases: { voxelType: DType; numChannels: number; blockType: 'raw' | 'lz4' | 'lz4hc' }[] = [
  { voxelType: 'uint8', numChannels: 1, blockType: 'raw' },
  { voxelType: 'uint8', numChannels: 1, blockType: 'lz4hc' },
  { voxelType: 'uint8', numChannels: 3, blockType: 'raw' },
  { voxelType: 'uint8', numChannels: 3, blockType: 'lz4hc' },
  { voxelType: 'uint16', numChannels: 3, blockType: 'lz4' },
  { voxelType: 'uint32', numChannels: 1, blockType: 'lz4hc' },
  { voxelType: 'uint64', numChannels: 1, blockType: 'raw' },
  { voxelType: 'int16', numChannels: 2, blockType: 'raw' },
  { voxelType: 'int64', numChannels: 1, blockType: 'lz4hc' },
  { voxelType: 'float32', numChannels: 1, blockType: 'raw' },
  { voxelType: 'float64', numChannels: 1, blockType: 'lz4hc' },
]

const label = (c: (typeof cases)[number]) => `${c.voxelType}×${c.numChannels} ${c.blockType}`

for (const c of cases) {
  test(`Python wkw reads what we write: ${label(c)}`, async (t) => {
    const dir = tempDir(t)
    const ds = await WkwDataset.create(join(dir, 'ds'), { ...c, blockLen: 8, fileLen: 2 })
    // Compressed files are written whole: a 32×16×48 box at (16, 16, 16) spans 2×1×3 files.
    const [offset, shape] = c.blockType === 'raw' ? [[13, 7, 30], [20, 12, 5]] : [[16, 16, 16], [32, 16, 48]]
    const data = randomArray(c.voxelType, c.numChannels * shape[0] * shape[1] * shape[2], 11)
    await ds.write(offset as never, { data, shape: [c.numChannels, ...shape] })
    const header = oracle({ op: 'wkw_read', dir: join(dir, 'ds'), offset, shape, out: join(dir, 'out') })
    t.deepEqual(header, { blockLen: 8, fileLen: 2, blockType: c.blockType, voxelType: c.voxelType, numChannels: c.numChannels })
    t.deepEqual(readBytes(join(dir, 'out')), bytes(data))
    // A box around it: zeros outside, the data inside.
    const outer = oracle({ op: 'wkw_read', dir: join(dir, 'ds'), offset: offset.map((v) => v - 1), shape: shape.map((v) => v + 2), out: join(dir, 'outer') })
    t.truthy(outer)
    const ours = await ds.read(offset.map((v) => v - 1) as never, shape.map((v) => v + 2) as never)
    t.deepEqual(readBytes(join(dir, 'outer')), bytes(ours.data))
  })

  test(`we read what Python wkw writes: ${label(c)}`, async (t) => {
    const dir = tempDir(t)
    const offset = [1000, 30, 2047]
    const shape = [40, 3, 20]
    const data = randomArray(c.voxelType, c.numChannels * 40 * 3 * 20, 5)
    // The reference writes compressed files only whole, so it writes raw and compresses after.
    const header = { ...c, blockType: 'raw', blockLen: 16, fileLen: 4 }
    oracle({ op: 'wkw_write', dir: join(dir, 'raw'), header, offset, shape, in: writeBytes(join(dir, 'in'), data) })
    let root = join(dir, 'raw')
    if (c.blockType !== 'raw') {
      oracle({ op: 'wkw_compress', dir: root, target: join(dir, 'lz4hc') })
      root = join(dir, 'lz4hc')
    }
    const ds = await WkwDataset.open(root)
    t.is(ds.header.blockType, c.blockType === 'raw' ? 'raw' : 'lz4hc')
    t.deepEqual(bytes((await ds.read(offset as never, shape as never)).data), bytes(data))
  })
}

test('both libraries write byte-identical raw files', async (t) => {
  const dir = tempDir(t)
  const data = randomArray('uint16', 2 * 50 * 40 * 30, 2)
  const header = { voxelType: 'uint16', numChannels: 2, blockLen: 8, fileLen: 4, blockType: 'raw' } as const
  oracle({ op: 'wkw_write', dir: join(dir, 'py'), header, offset: [20, 10, 5], shape: [50, 40, 30], in: writeBytes(join(dir, 'in'), data) })
  const ours = await WkwDataset.create(join(dir, 'ts'), header)
  await ours.write([20, 10, 5], { data, shape: [2, 50, 40, 30] })
  for (const file of ['header.wkw', 'z0/y0/x0.wkw', 'z1/y1/x2.wkw']) {
    t.deepEqual(readBytes(join(dir, 'ts', file)), readBytes(join(dir, 'py', file)), file)
  }
})

const fixtureTest = haveFixtures ? anyTest : (skipReason(`no fixtures at ${fixturesDir}`), anyTest.skip)

fixtureTest('reads the WKW directories of the Python fixtures', async (t) => {
  const simple = await WkwDataset.open(join(fixturesDir, 'simple_wk_dataset', 'color', '1'))
  t.deepEqual(simple.header, { version: 1, blockLen: 8, fileLen: 4, blockType: 'raw', voxelType: 'uint8', numChannels: 3 })
  const voxels = await simple.read([0, 0, 0], [24, 24, 24])
  t.deepEqual(voxels.shape, [3, 24, 24, 24])
  t.true(voxels.data.every((v) => v === 0))
  const old2 = await WkwDataset.open(join(fixturesDir, 'old_wk_dataset', 'color', '2'))
  t.deepEqual([old2.header.blockLen, old2.header.fileLen, old2.header.blockType], [32, 16, 'raw'])
  const segmentation = await WkwDataset.open(join(fixturesDir, 'complex_property_ds', 'segmentation', '1'))
  t.deepEqual([segmentation.header.voxelType, segmentation.header.blockType], ['uint32', 'lz4hc'])
  t.true((await segmentation.read([0, 0, 0], [8, 8, 8])).data.every((v) => v === 0))
})
