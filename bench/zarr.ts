// Writes and reads a 1024³ uint8 color volume and a 1024³ uint32 segmentation-like volume into
// sharded zstd Zarr v3 mags (1024³ shards of 32³ chunks, as today's webknossos creates them) with
// our library and with tensorstore (which webknossos uses for Zarr), both on all cores, on the same
// bytes; then a 24³ unaligned write into the compressed shard, on both sides and into a compressed
// WKW mag of ours. Every step is the best of REPEAT rounds on each side, the sides alternating.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, type DataFormat, type MagView } from '../index'
import { type Row, printTable, python, seconds, timed, workDir } from './util'
import { type SlabMaker, colorSlab, segmentationSlab, slabsWithInput } from './volumes'

type Steps = Record<'write' | 'read' | 'smallWrite', number>

const EDGE = 1024
const SLAB = 256
const REPEAT = 3
const SMALL = 24

/** A mag of `format` (compressed, default shapes) in a new dataset at `dir`. */
async function mag(dir: string, format: DataFormat, dtype: 'uint8' | 'uint32'): Promise<MagView> {
  const dataset = await Dataset.create(dir, { scale: [1, 1, 1] })
  const layer = await dataset.addLayer('layer', 'color', { dtypePerChannel: dtype, dataFormat: format })
  return layer.addMag(1, { compress: format !== 'wkw' })
}

async function volume(name: string, dtype: 'uint8' | 'uint32', makeSlab: SlabMaker): Promise<Row[]> {
  const dir = workDir(`zarr-${dtype}`)
  const input = join(dir, 'input.bin')
  const slabs = slabsWithInput(makeSlab, EDGE, SLAB, input)
  const bytes = EDGE ** 3 * slabs[0].BYTES_PER_ELEMENT
  const small = { data: slabs[0].subarray(0, SMALL ** 3), shape: [SMALL, SMALL, SMALL] as [number, number, number] }
  const writeAll = async (view: MagView) => {
    for (let z = 0; z < EDGE; z += SLAB) await view.write({ data: slabs[z / SLAB], shape: [EDGE, EDGE, SLAB] }, { offset: [0, 0, z] })
  }

  const ourRound = async (): Promise<Steps> => {
    rmSync(join(dir, 'ours'), { recursive: true, force: true })
    const zarr = await mag(join(dir, 'ours'), 'zarr3', dtype)
    const write = await timed(() => writeAll(zarr))
    const read = await timed(async () => {
      for (let z = 0; z < EDGE; z += SLAB) await zarr.read({ offset: [0, 0, z], size: [EDGE, EDGE, SLAB] })
    })
    const smallWrite = await timed(() => zarr.write(small, { offset: [500, 500, 500] }))
    rmSync(join(dir, 'ours'), { recursive: true })
    return { write: write.seconds, read: read.seconds, smallWrite: smallWrite.seconds }
  }
  const referenceRound = (): Steps => {
    const request = { dtype, edge: EDGE, slab: SLAB, input, dir: join(dir, 'ts') }
    return JSON.parse(execFileSync(python!, [join(__dirname, 'reference', 'zarr_bench.py'), JSON.stringify(request)], { encoding: 'utf8' }))
  }
  /** The same 24³ write into a compressed (LZ4HC) WKW mag of ours: written raw, then compressed. */
  const wkwSmallWrite = async (): Promise<number> => {
    const wkw = await mag(join(dir, 'wkw'), 'wkw', dtype)
    await writeAll(wkw)
    await wkw.compress()
    const { seconds: s } = await timed(() => wkw.write(small, { offset: [500, 500, 500] }))
    rmSync(join(dir, 'wkw'), { recursive: true })
    return s
  }
  const ourRounds: Steps[] = []
  const referenceRounds: Steps[] = []
  const wkwRounds: number[] = []
  for (let round = 0; round < REPEAT; round++) {
    ourRounds.push(await ourRound())
    if (python) referenceRounds.push(referenceRound())
    wkwRounds.push(await wkwSmallWrite())
  }
  slabs.length = 0
  rmSync(dir, { recursive: true, force: true })

  const ours = (step: keyof Steps) => Math.min(...ourRounds.map((r) => r[step]))
  const reference = python ? (step: keyof Steps) => Math.min(...referenceRounds.map((r) => r[step])) : undefined
  const gb = bytes / 1e9
  const rate = (s: number) => `${(gb / s).toFixed(2)} GB/s (${seconds(s)})`
  const row = (what: string, key: 'write' | 'read'): Row => ({
    what: `${name}: ${what}`,
    ours: rate(ours(key)),
    reference: reference ? rate(reference(key)) : 'n/a',
    ratio: reference ? `${(reference(key) / ours(key)).toFixed(2)}×` : 'n/a',
  })
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`
  const wkw = Math.min(...wkwRounds)
  return [
    row('write into zstd shards', 'write'),
    row('read', 'read'),
    {
      what: `${name}: ${SMALL}³ unaligned write into the compressed shard`,
      ours: ms(ours('smallWrite')),
      reference: reference ? ms(reference('smallWrite')) : 'n/a',
      ratio: reference ? `${(reference('smallWrite') / ours('smallWrite')).toFixed(2)}×` : 'n/a',
    },
    {
      what: `${name}: the same write into our LZ4HC WKW file`,
      ours: ms(wkw),
      reference: '',
      ratio: `Zarr v3 takes ${((ours('smallWrite') / wkw) * 100).toFixed(0)} % of WKW's time`,
    },
  ]
}

export async function benchZarr(): Promise<void> {
  const rows = [
    ...(await volume('1024³ uint8 color', 'uint8', colorSlab)),
    ...(await volume('1024³ uint32 segmentation', 'uint32', segmentationSlab)),
  ]
  printTable(`Zarr v3, sharded, zstd; best of ${REPEAT} rounds (ratio = tensorstore time / our time)`, rows)
}
