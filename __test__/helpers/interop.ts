// Whole datasets as today's Python `webknossos` sees them (`dataset_describe` of the oracle), and the
// check that ours are the same, voxel for voxel.
import type { ExecutionContext } from 'ava'
import { Dataset } from '../../index'
import { bytes } from './data'
import { oracle, readBytes } from './reference'

interface DescribedMag {
  mag: string
  topLeft: number[]
  size: number[]
  chunkShape: number[]
  shardShape: number[]
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

export interface Described {
  name: string
  voxelSize: number[]
  layers: DescribedLayer[]
}

export function describe(path: string, out: string): Described {
  return oracle<Described>({ op: 'dataset_describe', path, out })
}

/** Asserts that our view of the dataset at `path` is what the reference reported, voxel for voxel. */
export async function assertSameDataset(t: ExecutionContext, path: string, theirs: Described): Promise<void> {
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
    t.is(their.dataFormat, layer.dataFormat, where)
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
      t.deepEqual([mag.chunkShape, mag.shardShape, mag.compressed], [[...view.info.chunkShape], [...view.info.shardShape], view.info.compression !== 'none'], at)
      const voxels = await view.read({ offset: mag.topLeft as never, size: mag.size as never })
      t.deepEqual(voxels.shape, [their.numChannels, ...mag.size], at)
      const same = Buffer.compare(bytes(voxels.data), readBytes(mag.out)) === 0
      t.true(same, `${at}: the voxels differ`)
      t.true(voxels.data.some((v) => v !== 0 && v !== 0n), `${at} holds data`)
    }
  }
}

