// Writes, compresses and reads a 1024³ uint8 color volume and a 1024³ uint32 segmentation-like
// volume with our WkwDataset and with the Python `wkw` package, on the same bytes, and prints
// throughput and the ratio. Raw writes are also compared with `cp` of the same bytes. Every step
// is the best of REPEAT rounds on each side.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { WkwDataset } from '../index'
import { type Row, printTable, python, seconds, timed, workDir } from './util'
import { type SlabMaker, colorSlab, segmentationSlab, slabsWithInput } from './volumes'

/** Seconds of each step of one round; the Python side has no `cp`. */
type Steps = Record<'writeRaw' | 'cp' | 'compress' | 'readLz4hc', number>

const EDGE = 1024
const SLAB = 256
const REPEAT = 3

async function volume(name: string, dtype: 'uint8' | 'uint32', makeSlab: SlabMaker): Promise<Row[]> {
  const dir = workDir(`wkw-${dtype}`)
  const input = join(dir, 'input.bin')
  const slabs = slabsWithInput(makeSlab, EDGE, SLAB, input)
  const bytes = EDGE ** 3 * slabs[0].BYTES_PER_ELEMENT

  const rawDir = join(dir, 'ours', 'raw')
  const lz4hcDir = join(dir, 'ours', 'lz4hc')
  const copy = join(dir, 'cp.wkw')
  // Files are deleted as soon as a step is done: on tmpfs they take memory from the next step.
  const ourRound = async (): Promise<Steps> => {
    rmSync(join(dir, 'ours'), { recursive: true, force: true })
    const raw = await WkwDataset.create(rawDir, { voxelType: dtype })
    const writeRaw = await timed(async () => {
      for (let z = 0; z < EDGE; z += SLAB) await raw.write([0, 0, z], { data: slabs[z / SLAB], shape: [EDGE, EDGE, SLAB] })
    })
    const cp = await timed(async () => execFileSync('cp', [join(rawDir, 'z0', 'y0', 'x0.wkw'), copy]))
    rmSync(copy)
    const compress = await timed(() => raw.compress(lz4hcDir))
    rmSync(rawDir, { recursive: true })
    const compressed = await WkwDataset.open(lz4hcDir)
    const readLz4hc = await timed(async () => {
      for (let z = 0; z < EDGE; z += SLAB) await compressed.read([0, 0, z], [EDGE, EDGE, SLAB])
    })
    rmSync(join(dir, 'ours'), { recursive: true })
    return { writeRaw: writeRaw.seconds, cp: cp.seconds, compress: compress.seconds, readLz4hc: readLz4hc.seconds }
  }
  const referenceRound = (): Steps => {
    const request = { dtype, edge: EDGE, slab: SLAB, input, dir: join(dir, 'py') }
    return JSON.parse(execFileSync(python!, [join(__dirname, 'reference', 'wkw_bench.py'), JSON.stringify(request)], { encoding: 'utf8' }))
  }
  // The machine's speed drifts over minutes, so the two sides alternate round by round rather
  // than one running all its repeats before the other.
  const ourRounds: Steps[] = []
  const referenceRounds: Steps[] = []
  for (let round = 0; round < REPEAT; round++) {
    ourRounds.push(await ourRound())
    if (python) referenceRounds.push(referenceRound())
  }
  const ours = (step: keyof Steps) => Math.min(...ourRounds.map((r) => r[step]))
  const reference = python ? (step: keyof Steps) => Math.min(...referenceRounds.map((r) => r[step])) : undefined
  slabs.length = 0
  rmSync(dir, { recursive: true, force: true })

  const gb = bytes / 1e9
  const rate = (s: number) => `${(gb / s).toFixed(2)} GB/s (${seconds(s)})`
  const row = (what: string, key: 'writeRaw' | 'compress' | 'readLz4hc'): Row => ({
    what: `${name}: ${what}`,
    ours: rate(ours(key)),
    reference: reference ? rate(reference(key)) : 'n/a',
    ratio: reference ? `${(reference(key) / ours(key)).toFixed(2)}×` : 'n/a',
  })
  return [
    row('write raw', 'writeRaw'),
    { what: `${name}: cp of the raw file`, ours: rate(ours('cp')), reference: '', ratio: `our raw write: ${((ours('cp') / ours('writeRaw')) * 100).toFixed(0)} % of cp` },
    row('compress to LZ4HC', 'compress'),
    row('read LZ4HC', 'readLz4hc'),
  ]
}

export async function benchWkw(): Promise<void> {
  const rows = [
    ...(await volume('1024³ uint8 color', 'uint8', colorSlab)),
    ...(await volume('1024³ uint32 segmentation', 'uint32', segmentationSlab)),
  ]
  printTable(`WKW I/O, best of ${REPEAT} rounds (ratio = Python wkw time / our time)`, rows)
}
