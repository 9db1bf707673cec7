// `wk upsample <dataset>`: creates the finer mags of a layer from a coarser one (Layer.upsample).
import type { Command } from 'commander'
import { type Dataset, type Layer, Mag, type SamplingMode } from '../../index'
import { UsageError, defineCommand, jobsOption, openDataset, quietOption, say } from './common'
import { checkedPlan, describePlan, formatSteps, runWithReport, samplingModeOption } from './downsample'
import { type DistributionOptions, distributionOptions, withExecutor } from './distribution'
import { parseMag, parsePositiveInt } from './options'

interface Options extends DistributionOptions {
  layer?: string
  from: Mag
  min: Mag
  samplingMode: SamplingMode
  bufferEdgeLen?: number
  compress: boolean
  quiet?: boolean
}

/** `--layer`, or the only layer of the dataset. */
export function layerOrOnly(dataset: Dataset, name: string | undefined, command: string): Layer {
  if (name !== undefined) return dataset.getLayer(name)
  if (dataset.layers.size === 1) return [...dataset.layers.values()][0]
  const names = [...dataset.layers.keys()].join(', ') || 'none'
  throw new UsageError(`${command} needs --layer: "${dataset.path}" has ${dataset.layers.size} layers (${names})`)
}

export function register(program: Command): void {
  const command = defineCommand(program, 'upsample', 'Create the finer mags of a layer from a coarser mag (nearest neighbour)')
    .argument('<dataset>', 'dataset directory or URL (s3://…, https://…)')
    .option('-l, --layer <name>', 'layer to upsample (required unless the dataset has one layer)')
    .requiredOption('--from <mag>', 'mag to start from', parseMag)
    .option('--min <mag>', 'finest mag to create', parseMag, new Mag(1))
    .addOption(samplingModeOption())
    .option('--buffer-edge-len <n>', 'edge of the tiles processed on their own', parsePositiveInt)
    .option('--no-compress', 'write uncompressed (raw) mags')
    .addOption(jobsOption())
    .addOption(quietOption())
  distributionOptions(command).action(async (path: string, opts: Options) => {
      const dataset = await openDataset(path)
      const layer = layerOrOnly(dataset, opts.layer, 'upsample')
      const plan = await checkedPlan(layer, () =>
        layer.planUpsample({ fromMag: opts.from, minMag: opts.min, samplingMode: opts.samplingMode, compress: opts.compress, bufferEdgeLen: opts.bufferEdgeLen }),
      )
      if (plan.steps.length === 0) {
        say(`${layer.name}: nothing to do, mag ${opts.from} is already the finest (min ${opts.min})`)
        return
      }
      say(describePlan(plan))
      const start = performance.now()
      const reports = await withExecutor(opts, (executor) => runWithReport(plan, executor, opts))
      for (const line of formatSteps(layer.name, reports)) say(line)
      say(`${layer.name}: upsampled in ${((performance.now() - start) / 1000).toFixed(2)} s`)
    })
}
