// `wk upsample <dataset>`: creates the finer mags of a layer from a coarser one (Layer.upsample).
import type { Command } from 'commander'
import { type Dataset, type Layer, Mag, WebknossosError } from '../../index'
import { type SamplingMode, magsToUpsample, samplingSetup } from '../sampling-plan'
import { CliError, UsageError, defineCommand, jobsOption, openDataset, quietOption, runtime, say } from './common'
import { samplingModeOption } from './downsample'
import { parseMag, parsePositiveInt } from './options'
import { withProgress } from './progress'

interface Options {
  layer?: string
  from: Mag
  min: Mag
  samplingMode: SamplingMode
  bufferEdgeLen?: number
  compress: boolean
  jobs?: number
  quiet?: boolean
}

/** `--layer`, or the only layer of the dataset. */
export function layerOrOnly(dataset: Dataset, name: string | undefined, command: string): Layer {
  if (name !== undefined) return dataset.getLayer(name)
  if (dataset.layers.size === 1) return [...dataset.layers.values()][0]
  const names = [...dataset.layers.keys()].join(', ') || 'none'
  throw new UsageError(`${command} needs --layer: "${dataset.path}" has ${dataset.layers.size} layers (${names})`)
}

/** The mags `layer.upsample` will create, checked without writing anything. */
function planUpsample(layer: Layer, opts: Options): Mag[] {
  const from = layer.getMag(opts.from)
  if (layer.boundingBox.isEmpty()) throw new CliError(`Layer "${layer.name}" has an empty bounding box: there is nothing to upsample`)
  let mags: Mag[]
  try {
    const { coarsest: finest, voxelSize } = samplingSetup(opts.samplingMode, opts.min, opts.min, layer.dataset.scale)
    const fine = opts.samplingMode === 'constant_z' ? new Mag([finest.x, finest.y, from.mag.z]) : finest
    mags = magsToUpsample(from.mag, fine, voxelSize)
  } catch (error) {
    if (error instanceof WebknossosError && error.code === 'ERR_WK_INVALID_ARGUMENT') throw new UsageError(error.message)
    throw error
  }
  if (mags.some((m) => m.equals(from.mag))) mags = mags.filter((m) => !m.equals(from.mag))
  const existing = mags.filter((m) => layer.mags.has(m.toLayerName()))
  if (existing.length > 0) {
    throw new CliError(`Mag ${existing.join(', ')} already exists in layer "${layer.name}" (upsampling from ${from.mag} would create ${mags.join(', ')})`)
  }
  return mags
}

export function register(program: Command): void {
  defineCommand(program, 'upsample', 'Create the finer mags of a layer from a coarser mag (nearest neighbour)')
    .argument('<dataset>', 'dataset directory')
    .option('-l, --layer <name>', 'layer to upsample (required unless the dataset has one layer)')
    .requiredOption('--from <mag>', 'mag to start from', parseMag)
    .option('--min <mag>', 'finest mag to create', parseMag, new Mag(1))
    .addOption(samplingModeOption())
    .option('--buffer-edge-len <n>', 'edge of the tiles processed on their own', parsePositiveInt)
    .option('--no-compress', 'write uncompressed (raw) mags')
    .addOption(jobsOption())
    .addOption(quietOption())
    .action(async (path: string, opts: Options) => {
      const dataset = await openDataset(path)
      const layer = layerOrOnly(dataset, opts.layer, 'upsample')
      const mags = planUpsample(layer, opts)
      if (mags.length === 0) {
        say(`${layer.name}: nothing to do, mag ${opts.from} is already the finest (min ${opts.min})`)
        return
      }
      say(`${layer.name}: mag ${opts.from} -> ${mags.join(', ')} (${opts.compress ? 'LZ4HC' : 'raw'})`)
      const start = performance.now()
      const timings = await withProgress(`upsample ${layer.name}`, 'files', opts, (onProgress) =>
        layer.upsample({
          fromMag: opts.from,
          minMag: opts.min,
          samplingMode: opts.samplingMode,
          compress: opts.compress,
          bufferEdgeLen: opts.bufferEdgeLen,
          jobs: opts.jobs,
          signal: runtime.signal,
          onProgress,
        }),
      )
      const seconds = (performance.now() - start) / 1000
      mags.forEach((target, i) => {
        const source = i === 0 ? opts.from : mags[i - 1]
        const files = timings?.[i]?.files
        say(`  ${layer.name}: mag ${source} -> ${target}${files === undefined ? '' : `: ${files} file${files === 1 ? '' : 's'}`}`)
      })
      say(`${layer.name}: upsampled in ${seconds.toFixed(2)} s`)
    })
}
