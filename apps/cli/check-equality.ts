// `wk check-equality <a> <b>`: same layers, same mags and the same voxels (exit 0, "equal"), or
// the first difference (exit 1).
import type { Command } from 'commander'
import { BoundingBox, type Dataset, type Layer, Mag, type MagView, type VoxelArray, dtypeSize } from '../../index'
import { CliError, defineCommand, formatVec, jobsOption, openDataset, quietOption, runtime, say } from './common'
import { collectString } from './options'
import { withProgress } from './progress'

const CHUNK: readonly [number, number, number] = [256, 256, 256]
/** Bytes of voxels held in memory at once, both sides together. */
const MEMORY_BUDGET = 512 * 1024 * 1024

interface Options {
  layer?: string[]
  jobs?: number
  quiet?: boolean
}

/** A difference found: printed as "not equal: <message>". */
class Difference extends Error {}

const names = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort()
const list = (items: string[]) => (items.length ? items.join(', ') : 'none')

function compareLayerSets(a: Dataset, b: Dataset, selected: string[] | undefined): [Layer, Layer][] {
  if (selected && selected.length > 0) {
    return [...new Set(selected)].map((name) => {
      for (const [ds, label] of [[a, 'a'], [b, 'b']] as const) {
        if (!ds.layers.has(name)) throw new Difference(`layer "${name}" is missing in ${label} ("${ds.path}"; layers: ${list(names(ds.layers))})`)
      }
      return [a.getLayer(name), b.getLayer(name)]
    })
  }
  const [na, nb] = [names(a.layers), names(b.layers)]
  if (na.join('\0') !== nb.join('\0')) throw new Difference(`the layers differ: a has ${list(na)}, b has ${list(nb)}`)
  return na.map((name) => [a.getLayer(name), b.getLayer(name)])
}

function compareLayers(a: Layer, b: Layer): [MagView, MagView][] {
  if (a.dtypePerChannel !== b.dtypePerChannel || a.numChannels !== b.numChannels) {
    throw new Difference(
      `layer "${a.name}": a holds ${a.numChannels} x ${a.dtypePerChannel}, b holds ${b.numChannels} x ${b.dtypePerChannel}`,
    )
  }
  const sorted = (l: Layer) => [...l.mags.keys()].sort((x, y) => Mag.compare(x, y))
  const [ma, mb] = [sorted(a), sorted(b)]
  if (ma.join(' ') !== mb.join(' ')) throw new Difference(`layer "${a.name}": the mags differ: a has ${list(ma)}, b has ${list(mb)}`)
  return ma.map((m) => [a.getMag(m), b.getMag(m)])
}

/** The union of both layer boxes (mag 1), aligned to the mag, in the mag's voxels. */
function region(a: Layer, b: Layer, mag: Mag): BoundingBox | undefined {
  const boxes = [a.boundingBox, b.boundingBox].filter((box) => !box.isEmpty())
  if (boxes.length === 0) return undefined
  const union = boxes.length === 2 ? boxes[0].extendedBy(boxes[1]) : boxes[0]
  return union.alignWithMag(mag, { ceil: true }).inMag(mag)
}

/** The first element where two reads differ, or -1. */
function firstDifference(x: VoxelArray, y: VoxelArray): number {
  const [bx, by] = [x, y].map((v) => Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength))
  if (Buffer.compare(bx, by) === 0) return -1
  for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i] && !(Number.isNaN(x.data[i]) && Number.isNaN(y.data[i]))) return i
  // Only NaNs with other bit patterns differ: equal as values.
  return -1
}

async function compareMag(a: MagView, b: MagView, box: BoundingBox, opts: Options, label: string): Promise<void> {
  const chunks = [...box.chunk(CHUNK, CHUNK)]
  const { numChannels, voxelType } = a.info
  const chunkBytes = 2 * numChannels * dtypeSize(voxelType) * CHUNK[0] * CHUNK[1] * CHUNK[2]
  const parallel = Math.max(1, Math.min(opts.jobs ?? 4, Math.floor(MEMORY_BUDGET / chunkBytes)))
  await withProgress(`check-equality ${label}`, 'chunks', opts, async (onProgress) => {
    onProgress({ done: 0, total: chunks.length })
    for (let start = 0; start < chunks.length; start += parallel) {
      if (runtime.signal.aborted) throw runtime.signal.reason ?? new Error('aborted')
      const batch = chunks.slice(start, start + parallel)
      const results = await Promise.all(
        batch.map(async (chunk) => {
          const [x, y] = await Promise.all([a.readBbox(chunk), b.readBbox(chunk)])
          return { chunk, x, y, index: firstDifference(x, y) }
        }),
      )
      for (const { chunk, x, y, index } of results) {
        if (index < 0) continue
        const c = index % numChannels
        const voxel = Math.floor(index / numChannels)
        const [w, h] = [chunk.size[0], chunk.size[1]]
        const at = [chunk.topLeft[0] + (voxel % w), chunk.topLeft[1] + (Math.floor(voxel / w) % h), chunk.topLeft[2] + Math.floor(voxel / (w * h))]
        const mag = a.mag
        const inMag1 = mag.equals(1) ? '' : ` (mag-1 position ${formatVec([at[0] * mag.x, at[1] * mag.y, at[2] * mag.z])})`
        const channel = numChannels > 1 ? ` channel ${c}` : ''
        throw new Difference(`${label}: voxel ${formatVec(at)}${inMag1}${channel} is ${String(x.data[index])} in a and ${String(y.data[index])} in b`)
      }
      onProgress({ done: Math.min(start + parallel, chunks.length), total: chunks.length })
    }
  })
}

export function register(program: Command): void {
  defineCommand(program, 'check-equality', 'Check that two datasets hold the same layers, mags and voxels')
    .argument('<a>', 'first dataset directory')
    .argument('<b>', 'second dataset directory')
    .option('-l, --layer <name>', 'layer to compare, repeatable (default: every layer)', collectString)
    .addOption(jobsOption())
    .addOption(quietOption())
    .action(async (pathA: string, pathB: string, opts: Options) => {
      const a = await openDataset(pathA)
      const b = await openDataset(pathB)
      try {
        for (const [la, lb] of compareLayerSets(a, b, opts.layer)) {
          for (const [ma, mb] of compareLayers(la, lb)) {
            const box = region(la, lb, ma.mag)
            if (box) await compareMag(ma, mb, box, opts, `layer "${la.name}" mag ${ma.name}`)
          }
        }
      } catch (error) {
        if (!(error instanceof Difference)) throw error
        say(`not equal: ${error.message}`)
        // The difference is the output; exit 1 without an error line.
        throw new CliError('', 1)
      }
      say('equal')
    })
}
