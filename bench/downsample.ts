// Downsamples a 1024³ uint8 color layer (median) and a 1024³ uint32 segmentation layer (mode)
// from mag 1 to mag 8, in WKW (LZ4HC output) and in Zarr v3 (sharded, zstd), with our library and
// with the Python `webknossos` package on copies of the same dataset, and prints voxels/s, peak
// memory, the ratio and where our time goes. WK_BENCH_EDGE=2048 runs the color layer on 2048³
// (our side only: the memory bound; put the data on a disk with WK_BENCH_DIR, it does not fit
// tmpfs). The kernels alone are timed on one
// tile by crates/jobs/examples/kernel_tile.rs, so the benchmark needs cargo.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { type DataFormat, Dataset } from '../index'
import type { SamplingTimings } from '../lib/sampling/downsampling'
import { colorSlab, segmentationSlab } from './volumes'
import { type Row, printTable, python, seconds, workDir } from './util'

const EDGE = Number(process.env.WK_BENCH_EDGE ?? 1024)
const SLAB = 64

// The kernels alone, each side on the tile at the origin of mag 1, on one thread with nothing else
// running, best of KERNEL_RUNS.
const TILE_EDGE = 256
const KERNEL_RUNS = 3

function kernelOnTile(magDir: string, mode: string): number {
  const root = join(__dirname, '..')
  const args = ['run', '--release', '--quiet', '-p', 'jobs', '--example', 'kernel_tile', '--', magDir, mode, String(TILE_EDGE), String(KERNEL_RUNS)]
  return Number(execFileSync('cargo', args, { cwd: root, encoding: 'utf8' }).trim())
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`
const rate = (voxels: number, s: number) => `${(voxels / s / 1e6).toFixed(0)} Mvox/s`

async function layer(category: 'color' | 'segmentation', mode: string, format: DataFormat): Promise<Row[]> {
  const dir = workDir(`downsample-${category}-${format}`)
  const path = join(dir, 'ours')
  const dataset = await Dataset.create(path, { scale: [1, 1, 1] })
  const dtype = category === 'color' ? 'uint8' : 'uint32'
  const layer = await dataset.addLayer(category, category, { dtypePerChannel: dtype, largestSegmentId: category === 'color' ? undefined : 2 ** 24, dataFormat: format })
  // Written uncompressed slab by slab, then compressed once.
  const mag = await layer.addMag(1, { compress: false })
  for (let z = 0; z < EDGE; z += SLAB) {
    const data = category === 'color' ? colorSlab(EDGE, z, SLAB) : segmentationSlab(EDGE, z, SLAB)
    await mag.write({ data, shape: [EDGE, EDGE, SLAB] }, { offset: [0, 0, z] })
  }
  await mag.compress()
  const kernelVoxelsPerSecond = format === 'wkw' ? kernelOnTile(join(path, category, '1'), mode) : undefined
  // The Python side gets a copy of the same mag 1.
  if (python && EDGE === 1024) execFileSync('cp', ['-r', path, join(dir, 'py')])
  const child = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'downsample-child.ts'), path, category, '8', mode], { encoding: 'utf8' })
  const ours = JSON.parse(child) as { seconds: number; steps: SamplingTimings[]; peakBytes: number }

  let reference: { seconds: number; peakBytes: number; filterVoxelsPerSecond: number } | undefined
  if (python && EDGE === 1024) {
    const request = { dataset: join(dir, 'py'), layer: category, maxMag: 8, mode, tileEdge: TILE_EDGE, runs: KERNEL_RUNS }
    const output = execFileSync(python, [join(__dirname, 'reference', 'downsample_bench.py'), JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 1 << 24 })
    // The Python library prints progress bars before the JSON line.
    reference = JSON.parse(output.trim().split('\n').at(-1)!)
  }
  execFileSync('rm', ['-rf', dir])

  const sourceVoxels = EDGE ** 3 * (1 + 1 / 8 + 1 / 64)
  const sum = (key: keyof SamplingTimings) => ours.steps.reduce((n, s) => n + s[key], 0)
  const name = `${format}: ${EDGE}³ ${dtype} ${category} (${mode}) to mag 8`
  const rows: Row[] = [
    {
      what: `${name}: end to end`,
      ours: `${rate(sourceVoxels, ours.seconds)} (${seconds(ours.seconds)})`,
      reference: reference ? `${rate(sourceVoxels, reference.seconds)} (${seconds(reference.seconds)})` : 'n/a',
      ratio: reference ? `${(reference.seconds / ours.seconds).toFixed(2)}×` : 'n/a',
    },
    {
      what: `${name}: peak memory`,
      ours: gib(ours.peakBytes),
      reference: reference ? `${gib(reference.peakBytes)} (largest process)` : 'n/a',
      ratio: '',
    },
    ...(kernelVoxelsPerSecond === undefined
      ? []
      : [
          {
            what: `${name}: kernel alone, one core, ${TILE_EDGE}³ tile`,
            ours: rate(kernelVoxelsPerSecond, 1),
            reference: reference ? `${rate(reference.filterVoxelsPerSecond, 1)} (its filter function)` : 'n/a',
            ratio: reference ? `${(kernelVoxelsPerSecond / reference.filterVoxelsPerSecond).toFixed(1)}×` : 'n/a',
          },
        ]),
    {
      what: `${name}: our thread-seconds`,
      ours: (['readSeconds', 'kernelSeconds', 'compressSeconds', 'writeSeconds'] as const).map((k) => `${k.replace('Seconds', '')} ${sum(k).toFixed(2)}`).join(', '),
      reference: '',
      ratio: '',
    },
  ]
  return rows
}

export async function benchDownsample(): Promise<void> {
  const formats = (process.env.WK_BENCH_FORMATS ?? 'wkw,zarr3').split(',') as DataFormat[]
  const rows: Row[] = []
  for (const format of formats) {
    rows.push(...(await layer('color', 'median', format)))
    if (EDGE <= 1024) rows.push(...(await layer('segmentation', 'mode', format)))
  }
  printTable('Downsampling, compressed output: WKW LZ4HC, Zarr v3 zstd (ratio = Python webknossos time / our time)', rows)
}
