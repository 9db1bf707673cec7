// `wk downsample <dataset>`: creates the coarser mags of one or every layer (Layer.downsample).
import { type Command, Option } from 'commander'
import { type Dataset, type Layer, Mag, type MagView, WebknossosError } from '../../index'
import type { InterpolationMode, SamplingTimings } from '../downsampling'
import { SAMPLING_MODES, type SamplingMode, defaultMaxMag, magsToDownsample, samplingSetup } from '../sampling-plan'
import { CliError, UsageError, defineCommand, formatRate, jobsOption, openDataset, quietOption, runtime, say } from './common'
import { collectString, parseMag, parsePositiveInt } from './options'
import { withProgress } from './progress'

export const INTERPOLATION_MODES: InterpolationMode[] = ['default', 'median', 'mode', 'nearest', 'bilinear', 'bicubic', 'max', 'min']

export interface DownsamplePlan {
  layer: Layer
  from: MagView
  maxMag: Mag
  /** The mags to create, in order; empty if the layer is already at `maxMag`. */
  mags: Mag[]
}

/** The mag the library downsamples from by default: the largest `maxDim`, the last one on ties. */
function coarsest(layer: Layer): MagView {
  let best: MagView | undefined
  for (const view of layer.mags.values()) if (!best || view.mag.maxDim >= best.mag.maxDim) best = view
  if (!best) throw new CliError(`Layer "${layer.name}" has no mag to downsample from`)
  return best
}

/**
 * What `layer.downsample` will do with these options, checked without writing anything: the
 * source mag exists, the layer is not empty, the mags can be reached and none exists yet.
 */
export function planDownsample(layer: Layer, opts: { from?: Mag; max?: Mag; samplingMode?: SamplingMode }): DownsamplePlan {
  const from = opts.from ? layer.getMag(opts.from) : coarsest(layer)
  const box = layer.boundingBox
  if (box.isEmpty()) throw new CliError(`Layer "${layer.name}" has an empty bounding box: there is nothing to downsample`)
  let mags: Mag[]
  let maxMag: Mag
  try {
    maxMag = opts.max ?? defaultMaxMag(box.size)
    const setup = samplingSetup(opts.samplingMode ?? 'auto', from.mag, maxMag, layer.dataset.scale)
    mags = magsToDownsample(from.mag, setup.coarsest, setup.voxelSize)
  } catch (error) {
    if (error instanceof WebknossosError && error.code === 'ERR_WK_INVALID_ARGUMENT') throw new UsageError(`Layer "${layer.name}": ${error.message}`)
    throw error
  }
  const existing = mags.filter((m) => layer.mags.has(m.toLayerName()))
  if (existing.length > 0) {
    throw new CliError(
      `Mag ${existing.join(', ')} already exists in layer "${layer.name}" (downsampling from ${from.mag} would create ${mags.join(', ')}); delete it or choose --from/--max`,
    )
  }
  return { layer, from, maxMag, mags }
}

/** Voxels of the source mag a step reads: the layer box aligned to the target mag. */
export function stepSourceVoxels(layer: Layer, source: Mag, target: Mag): number {
  return layer.boundingBox.alignWithMag(target, { ceil: true }).inMag(source).volume()
}

export interface StepReport {
  source: Mag
  target: Mag
  seconds: number
  sourceVoxels: number
  timings: SamplingTimings | undefined
}

/**
 * Runs `layer.downsample` for a plan with a progress reporter, and measures the wall time of each
 * step from the progress reports (a step ends when the running file count reaches its files).
 */
export async function runDownsample(
  plan: DownsamplePlan,
  opts: { interpolation?: InterpolationMode; samplingMode?: SamplingMode; compress: boolean; bufferEdgeLen?: number; jobs?: number; quiet?: boolean },
): Promise<StepReport[]> {
  const { layer, from, maxMag, mags } = plan
  if (mags.length === 0) return []
  const events: { done: number; time: number }[] = []
  const start = performance.now()
  const timings = await withProgress(`downsample ${layer.name}`, 'files', opts, (onProgress) =>
    layer.downsample({
      fromMag: from.mag,
      maxMag,
      interpolationMode: opts.interpolation,
      samplingMode: opts.samplingMode,
      compress: opts.compress,
      bufferEdgeLen: opts.bufferEdgeLen,
      jobs: opts.jobs,
      signal: runtime.signal,
      onProgress: (p) => {
        events.push({ done: p.done, time: performance.now() })
        onProgress(p)
      },
    }),
  )
  const end = performance.now()
  const reports: StepReport[] = []
  let stepStart = start
  let files = 0
  mags.forEach((target, i) => {
    const source = i === 0 ? from.mag : mags[i - 1]
    files += timings?.[i]?.files ?? 0
    const reached = i === mags.length - 1 ? undefined : events.find((e) => e.done >= files && files > 0)
    const stepEnd = reached?.time ?? end
    reports.push({ source, target, seconds: (stepEnd - stepStart) / 1000, sourceVoxels: stepSourceVoxels(layer, source, target), timings: timings?.[i] })
    stepStart = stepEnd
  })
  return reports
}

/** One line per step: files, wall seconds, source voxels per second, thread-seconds per stage. */
export function formatSteps(layerName: string, reports: StepReport[]): string[] {
  return reports.map((r) => {
    const t = r.timings
    const stages = t
      ? `; thread-s read ${t.readSeconds.toFixed(2)}, kernel ${t.kernelSeconds.toFixed(2)}, compress ${t.compressSeconds.toFixed(2)}, write ${t.writeSeconds.toFixed(2)}`
      : ''
    const files = t ? `${t.files} file${t.files === 1 ? '' : 's'}, ` : ''
    return `  ${layerName}: mag ${r.source} -> ${r.target}: ${files}${r.seconds.toFixed(2)} s, ${formatRate(r.sourceVoxels, r.seconds)}${stages}`
  })
}

/** The interpolation `default` stands for: mode for segmentation, median for color layers. */
export function effectiveInterpolation(layer: Layer, mode: InterpolationMode | undefined): InterpolationMode {
  if (mode && mode !== 'default') return mode
  return layer.category === 'segmentation' ? 'mode' : 'median'
}

/** The layers named by `--layer` (all of them without it), checked to exist. */
export function selectLayers(dataset: Dataset, names: string[] | undefined): Layer[] {
  if (!names || names.length === 0) return [...dataset.layers.values()]
  return [...new Set(names)].map((name) => dataset.getLayer(name))
}

export function samplingModeOption(): Option {
  return new Option('--sampling-mode <mode>', 'how the mags are chosen').choices(SAMPLING_MODES as string[]).default('auto')
}

interface Options {
  layer?: string[]
  from?: Mag
  max?: Mag
  interpolation: InterpolationMode
  samplingMode: SamplingMode
  bufferEdgeLen?: number
  compress: boolean
  jobs?: number
  quiet?: boolean
}

export function register(program: Command): void {
  defineCommand(program, 'downsample', 'Create the coarser mags of a dataset\'s layers (median/mode by default)')
    .argument('<dataset>', 'dataset directory')
    .option('-l, --layer <name>', 'layer to downsample, repeatable (default: every layer)', collectString)
    .option('--from <mag>', 'mag to start from (default: the coarsest existing mag)', parseMag)
    .option('--max <mag>', 'coarsest mag to create (default: about 100 voxels along x and y)', parseMag)
    .addOption(new Option('-i, --interpolation <mode>', 'interpolation mode').choices(INTERPOLATION_MODES).default('default'))
    .addOption(samplingModeOption())
    .option('--buffer-edge-len <n>', 'edge of the tiles the linear modes resample on their own', parsePositiveInt)
    .option('--no-compress', 'write uncompressed (raw) mags')
    .addOption(jobsOption())
    .addOption(quietOption())
    .action(async (path: string, opts: Options) => {
      const dataset = await openDataset(path)
      const layers = selectLayers(dataset, opts.layer)
      // Every layer is checked before the first is downsampled, so a bad option writes nothing.
      const plans = layers.map((layer) => planDownsample(layer, opts))
      for (const plan of plans) {
        const { layer, from, mags } = plan
        if (mags.length === 0) {
          say(`${layer.name}: nothing to do, mag ${from.mag} is already the coarsest (max ${plan.maxMag})`)
          continue
        }
        say(`${layer.name}: mag ${from.mag} -> ${mags.join(', ')} (${effectiveInterpolation(layer, opts.interpolation)}, ${opts.compress ? 'LZ4HC' : 'raw'})`)
        const reports = await runDownsample(plan, opts)
        for (const line of formatSteps(layer.name, reports)) say(line)
      }
    })
}
