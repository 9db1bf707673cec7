// `wk downsample <dataset>`: creates the coarser mags of one or every layer. The library plans
// (SamplingPlan); this command checks every plan first, then runs them and reports each step.
import { type Command, Option } from 'commander'
import {
  type Dataset,
  type Executor,
  INTERPOLATION_MODES,
  type InterpolationMode,
  type Layer,
  type Mag,
  SAMPLING_MODES,
  type SamplingMode,
  type SamplingPlan,
  type SamplingTimings,
  WebknossosError,
} from '../../index'
import { CliError, UsageError, defineCommand, formatRate, jobsOption, openDataset, quietOption, runtime, say } from './common'
import { collectString, parseMag, parsePositiveInt } from './options'
import { type DistributionOptions, distributionOptions, withExecutor } from './distribution'
import { withProgress } from './progress'

/** Plans with the library, turning its refusals into CLI errors: bad options exit 2, existing mags 1. */
export async function checkedPlan(layer: Layer, plan: () => Promise<SamplingPlan>): Promise<SamplingPlan> {
  try {
    return await plan()
  } catch (error) {
    if (!(error instanceof WebknossosError)) throw error
    if (error.code === 'ERR_WK_INVALID_ARGUMENT') throw new UsageError(`Layer "${layer.name}": ${error.message}`)
    if (error.code === 'ERR_WK_ALREADY_EXISTS') throw new CliError(`${error.message}; delete it or choose --from/--max`)
    throw error
  }
}

export interface StepReport {
  source: Mag
  target: Mag
  seconds: number
  sourceVoxels: number
  timings: SamplingTimings | undefined
}

/**
 * Runs a plan with a progress reporter, and measures the wall time of each step from the
 * progress reports (a step ends when the running shard count reaches its shards).
 */
export async function runWithReport(plan: SamplingPlan, executor: Executor, opts: { quiet?: boolean }): Promise<StepReport[]> {
  if (plan.steps.length === 0) return []
  const events: { done: number; time: number }[] = []
  const start = performance.now()
  const timings = await withProgress(`${plan.kind === 'up' ? 'upsample' : 'downsample'} ${plan.layer.name}`, 'files', opts, (onProgress) =>
    plan.run({
      executor,
      signal: runtime.signal,
      onProgress: (p) => {
        events.push({ done: p.done, time: performance.now() })
        onProgress(p)
      },
    }),
  )
  const end = performance.now()
  let stepStart = start
  let shards = 0
  return plan.steps.map((step, i) => {
    shards += step.shards.length
    const reached = i === plan.steps.length - 1 ? undefined : events.find((e) => e.done >= shards && shards > 0)
    const stepEnd = reached?.time ?? end
    const report = { source: step.source, target: step.target, seconds: (stepEnd - stepStart) / 1000, sourceVoxels: step.sourceBox.volume(), timings: timings?.[i] }
    stepStart = stepEnd
    return report
  })
}

/** One line per step: files (shards), wall seconds, source voxels per second, thread-seconds per stage. */
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

/** One line of what a plan will do. */
export function describePlan(plan: SamplingPlan): string {
  const { compression } = plan.spec
  return `${plan.layer.name}: mag ${plan.from.mag} -> ${plan.mags.join(', ')} (${plan.mode}, ${plan.spec.dataFormat} ${compression === 'none' ? 'uncompressed' : compression}, ${plan.total} files)`
}

/** The layers named by `--layer` (all of them without it), checked to exist. */
export function selectLayers(dataset: Dataset, names: string[] | undefined): Layer[] {
  if (!names || names.length === 0) return [...dataset.layers.values()]
  return [...new Set(names)].map((name) => dataset.getLayer(name))
}

export function samplingModeOption(): Option {
  return new Option('--sampling-mode <mode>', 'how the mags are chosen').choices(SAMPLING_MODES as string[]).default('auto')
}

export function interpolationOption(): Option {
  return new Option('-i, --interpolation <mode>', 'interpolation mode').choices(INTERPOLATION_MODES as string[]).default('default')
}

interface Options extends DistributionOptions {
  layer?: string[]
  from?: Mag
  max?: Mag
  interpolation: InterpolationMode
  samplingMode: SamplingMode
  bufferEdgeLen?: number
  compress: boolean
  quiet?: boolean
}

export function register(program: Command): void {
  const command = defineCommand(program, 'downsample', 'Create the coarser mags of a dataset\'s layers (median/mode by default)')
    .argument('<dataset>', 'dataset directory or URL (s3://…, https://…)')
    .option('-l, --layer <name>', 'layer to downsample, repeatable (default: every layer)', collectString)
    .option('--from <mag>', 'mag to start from (default: the coarsest existing mag)', parseMag)
    .option('--max <mag>', 'coarsest mag to create (default: about 100 voxels along x and y)', parseMag)
    .addOption(interpolationOption())
    .addOption(samplingModeOption())
    .option('--buffer-edge-len <n>', 'edge of the tiles the linear modes resample on their own', parsePositiveInt)
    .option('--no-compress', 'write uncompressed mags')
    .addOption(jobsOption())
    .addOption(quietOption())
  distributionOptions(command).action(async (path: string, opts: Options) => {
      const dataset = await openDataset(path)
      const layers = selectLayers(dataset, opts.layer)
      // Every layer is planned (and so checked) before the first is downsampled: a bad option writes nothing.
      const plans: SamplingPlan[] = []
      for (const layer of layers) {
        if (layer.mags.size === 0) throw new CliError(`Layer "${layer.name}" has no mag to downsample from`)
        plans.push(
          await checkedPlan(layer, () =>
            layer.planDownsample({
              fromMag: opts.from,
              maxMag: opts.max,
              interpolationMode: opts.interpolation,
              samplingMode: opts.samplingMode,
              compress: opts.compress,
              bufferEdgeLen: opts.bufferEdgeLen,
            }),
          ),
        )
      }
      await withExecutor(opts, async (executor) => {
        for (const plan of plans) {
          if (plan.steps.length === 0) {
            say(`${plan.layer.name}: nothing to do, mag ${plan.from.mag} is already the coarsest`)
            continue
          }
          say(describePlan(plan))
          for (const line of formatSteps(plan.layer.name, await runWithReport(plan, executor, opts))) say(line)
        }
      })
    })
}
