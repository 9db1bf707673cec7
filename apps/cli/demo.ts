// `wk demo <dir>`: a synthetic dataset (a uint8 color layer of cells on a smooth background with
// noise, and a uint32 segmentation of the same cells), downsampled, with timings of every step.
import type { Command } from 'commander'
import { basename } from 'node:path'
import { Dataset, LocalExecutor, Mag, type MagView, SegmentationLayer } from '../../index'
import { checkFreeTarget, defineCommand, formatRate, formatVec, jobsOption, quietOption, runtime, say, writingInto } from './common'
import { describePlan, formatSteps, runWithReport } from './downsample'
import { datasetInfo, formatInfo } from './info'
import { parsePositiveInt } from './options'
import { withProgress } from './progress'

export const DEMO_SCALE: [number, number, number] = [11.24, 11.24, 28]
const SLAB = 32

interface Cell {
  id: number
  center: [number, number, number]
  radius: [number, number, number]
  brightness: number
}

/** xorshift32: fast, deterministic. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 4294967296
  }
}

/**
 * Ellipsoidal cells on a jittered grid. The grid is finer in z, as the voxels are longer there
 * (scale 11.24, 11.24, 28), so cells look round in nanometres. About one grid place in ten is
 * left empty (extracellular space).
 */
export function makeCells(size: number, seed = 42): Cell[] {
  const random = rng(seed)
  const g = Math.max(6, Math.round(size / 8))
  const gz = Math.max(3, Math.round((g * DEMO_SCALE[0]) / DEMO_SCALE[2]))
  const cells: Cell[] = []
  let id = 0
  for (let z = 0; z * gz < size; z++) {
    for (let y = 0; y * g < size; y++) {
      for (let x = 0; x * g < size; x++) {
        id++
        if (random() < 0.1) continue
        const jitter = (edge: number) => (random() - 0.5) * 0.3 * edge
        const r = 0.34 + random() * 0.16
        cells.push({
          id,
          center: [(x + 0.5) * g + jitter(g), (y + 0.5) * g + jitter(g), (z + 0.5) * gz + jitter(gz)],
          radius: [r * g * (0.9 + random() * 0.2), r * g * (0.9 + random() * 0.2), r * gz * (0.9 + random() * 0.2)],
          brightness: 90 + Math.floor(random() * 110),
        })
      }
    }
  }
  return cells
}

/**
 * Fills one z-slab [z0, z0 + depth) of both layers: a smooth background (separable sines), the
 * cells with a dark membrane and a bright nucleus, then noise. Returns the largest id drawn.
 */
export function fillSlab(size: number, z0: number, depth: number, cells: Cell[], color: Uint8Array, segmentation: Uint32Array, seed: number): number {
  const plane = size * size
  const sx = new Float32Array(size)
  const sy = new Float32Array(size)
  for (let i = 0; i < size; i++) {
    sx[i] = Math.sin((2 * Math.PI * i) / 97)
    sy[i] = Math.cos((2 * Math.PI * i) / 131)
  }
  segmentation.fill(0, 0, plane * depth)
  for (let z = 0; z < depth; z++) {
    const sz = 12 * Math.sin((2 * Math.PI * (z0 + z)) / 41)
    for (let y = 0; y < size; y++) {
      const row = z * plane + y * size
      const base = 70 + sz + 18 * sy[y]
      for (let x = 0; x < size; x++) color[row + x] = base + 18 * sx[x] * sy[y]
    }
  }
  let largest = 0
  for (const cell of cells) {
    const [cx, cy, cz] = cell.center
    const [rx, ry, rz] = cell.radius
    const zFrom = Math.max(z0, Math.ceil(cz - rz))
    const zTo = Math.min(z0 + depth - 1, Math.floor(cz + rz), size - 1)
    if (zFrom > zTo) continue
    for (let z = zFrom; z <= zTo; z++) {
      const dz = (z - cz) / rz
      const yFrom = Math.max(0, Math.ceil(cy - ry))
      const yTo = Math.min(size - 1, Math.floor(cy + ry))
      for (let y = yFrom; y <= yTo; y++) {
        const dy = (y - cy) / ry
        const q = 1 - dz * dz - dy * dy
        if (q <= 0) continue
        const half = rx * Math.sqrt(q)
        const xFrom = Math.max(0, Math.ceil(cx - half))
        const xTo = Math.min(size - 1, Math.floor(cx + half))
        const row = (z - z0) * plane + y * size
        for (let x = xFrom; x <= xTo; x++) {
          const dx = (x - cx) / rx
          const r2 = dx * dx + dy * dy + dz * dz
          segmentation[row + x] = cell.id
          color[row + x] = r2 > 0.72 ? 35 : r2 < 0.1 ? cell.brightness + 45 : cell.brightness + 10 * dx
        }
        if (xFrom <= xTo && cell.id > largest) largest = cell.id
      }
    }
  }
  // Noise in [-12, 12], clamped (the typed array wraps otherwise).
  let state = (seed * 2654435761 + z0 * 40503) >>> 0 || 1
  const count = plane * depth
  for (let i = 0; i < count; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const v = color[i] + ((state >>> 0) % 25) - 12
    color[i] = v < 0 ? 0 : v > 255 ? 255 : v
  }
  return largest
}

interface Options {
  size: number
  jobs?: number
  quiet?: boolean
}

export function register(program: Command): void {
  defineCommand(program, 'demo', 'Create a synthetic dataset (color + segmentation), downsample it and report timings')
    .argument('<dir>', 'new dataset directory (must not exist or be empty)')
    .option('--size <n>', 'edge length in voxels of both layers at mag 1', parsePositiveInt, 512)
    .addOption(jobsOption())
    .addOption(quietOption())
    .action(async (dir: string, opts: Options) => {
      const { existed } = await checkFreeTarget(dir, 'The demo directory')
      const n = opts.size
      const total = n * n * n
      const overall = performance.now()
      await writingInto(dir, existed, async () => {
        const dataset = await Dataset.create(dir, { scale: DEMO_SCALE, name: basename(dir) })
        const color = await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
        const segmentation = await dataset.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 0 })
        const colorMag = await color.addMag(1)
        const segmentationMag = await segmentation.addMag(1)
        say(`demo: ${n}x${n}x${n} voxels per layer, scale ${formatVec(DEMO_SCALE)} nm, into "${dir}"`)

        const cells = makeCells(n)
        const depth = Math.min(SLAB, n)
        // Two sets of buffers: one slab is written while the next is generated.
        const buffers = [0, 1].map(() => ({ color: new Uint8Array(n * n * depth), segmentation: new Uint32Array(n * n * depth) }))
        let generateSeconds = 0
        let largest = 0
        let pending: Promise<void> | undefined
        const writeStart = performance.now()
        const write = (view: MagView, data: Uint8Array | Uint32Array, d: number, z0: number) =>
          view.write({ data: data.subarray(0, n * n * d), shape: [1, n, n, d] }, { offset: [0, 0, z0] })
        await withProgress('demo: generate and write', 'slices', opts, async (onProgress) => {
          onProgress({ done: 0, total: n })
          for (let z0 = 0, slab = 0; z0 < n; z0 += depth, slab++) {
            if (runtime.signal.aborted) throw runtime.signal.reason
            const d = Math.min(depth, n - z0)
            const buffer = buffers[slab % 2]
            const t = performance.now()
            largest = Math.max(largest, fillSlab(n, z0, d, cells, buffer.color, buffer.segmentation, 7))
            generateSeconds += (performance.now() - t) / 1000
            await pending
            onProgress({ done: z0, total: n })
            pending = Promise.all([write(colorMag, buffer.color, d, z0), write(segmentationMag, buffer.segmentation, d, z0)]).then(() => {})
            // Awaited on the next turn; marked handled so a failure is not reported twice.
            pending.catch(() => {})
          }
          await pending
          onProgress({ done: n, total: n })
        })
        const writeSeconds = (performance.now() - writeStart) / 1000
        if (segmentation instanceof SegmentationLayer) await segmentation.setLargestSegmentId(largest)
        say(`  generated ${cells.length} cells (largest segment id ${largest}) in ${generateSeconds.toFixed(2)} s of compute (${formatRate(2 * total, generateSeconds)})`)
        say(`  generated and wrote mag 1 of both layers in ${writeSeconds.toFixed(2)} s (${formatRate(2 * total, writeSeconds)})`)

        for (const [layer, mode] of [[color, 'median'], [segmentation, 'mode']] as const) {
          const plan = await layer.planDownsample({ fromMag: new Mag(1), interpolationMode: mode })
          if (plan.steps.length === 0) continue
          say(describePlan(plan))
          const started = performance.now()
          const reports = await runWithReport(plan, new LocalExecutor({ jobs: opts.jobs }), opts)
          for (const line of formatSteps(layer.name, reports)) say(line)
          const seconds = (performance.now() - started) / 1000
          say(`  ${layer.name}: downsampled in ${seconds.toFixed(2)} s (${formatRate(total, seconds)} of mag 1)`)
        }
        say(`demo: done in ${((performance.now() - overall) / 1000).toFixed(2)} s`)
        say('')
        for (const line of formatInfo(await datasetInfo(await Dataset.open(dir)))) say(line)
      })
    })
}
