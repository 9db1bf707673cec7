// `wk convert <image-dir> <dataset>`: a folder of 2D slices (TIFF, PNG, JPEG) becomes one layer
// at mag 1 with z = slice index; then mag 1 is compressed and downsampled, as wkcuber's
// convert_image_stack_to_wkw does.
import { type Command, Option } from 'commander'
import { basename } from 'node:path'
import { DATA_FORMATS, type DataFormat, Dataset, type InterpolationMode, Mag, type SamplingMode, SegmentationLayer, type Vec3, WebknossosError, downsamplingMags, scanImages } from '../../index'
import { UsageError, checkFreeTarget, defineCommand, formatRate, formatVec, jobsOption, quietOption, runtime, say, writingInto } from './common'
import { checkedPlan, describePlan, formatSteps, interpolationOption, runWithReport, samplingModeOption } from './downsample'
import { type DistributionOptions, distributionOptions, withExecutor } from './distribution'
import { parseMag, parseName, parseScale } from './options'
import { withProgress } from './progress'

interface Options extends DistributionOptions {
  scale: [number, number, number]
  layer: string
  category: 'color' | 'segmentation'
  dtype?: 'uint8' | 'uint16'
  maxMag?: Mag
  downsample: boolean
  compress: boolean
  interpolation: InterpolationMode
  samplingMode: SamplingMode
  name?: string
  quiet?: boolean
  dataFormat: DataFormat
}

/** The mags a downsampling of a (w, h, d) layer from mag 1 creates, checked before anything is written. */
function planMags(size: Vec3, opts: Options): { maxMag: Mag; mags: Mag[] } {
  try {
    return downsamplingMags(new Mag(1), { maxMag: opts.maxMag, samplingMode: opts.samplingMode, scale: opts.scale, size })
  } catch (error) {
    if (error instanceof WebknossosError && error.code === 'ERR_WK_INVALID_ARGUMENT') throw new UsageError(error.message)
    throw error
  }
}

export function register(program: Command): void {
  const command = defineCommand(program, 'convert', 'Convert a folder of 2D image slices (TIFF, PNG, JPEG) into a new dataset')
    .argument('<image-dir>', 'folder of slices, sorted naturally by file name: slice k becomes z = k')
    .argument('<dataset>', 'new dataset directory (must not exist or be empty)')
    .requiredOption('-s, --scale <x,y,z>', 'voxel size in nm, e.g. 11.24,11.24,28', parseScale)
    .option('-l, --layer <name>', 'layer name', parseName, 'color')
    .addOption(new Option('--category <category>', 'layer category').choices(['color', 'segmentation']).default('color'))
    .addOption(new Option('-d, --dtype <dtype>', 'voxel type (default: from the first image)').choices(['uint8', 'uint16']))
    .option('-m, --max-mag <mag>', 'coarsest mag to downsample to (default: about 100 voxels along x and y)', parseMag)
    .option('--no-downsample', 'only write mag 1')
    .option('--no-compress', 'keep mag 1 and the downsampled mags uncompressed')
    .addOption(interpolationOption())
    .addOption(new Option('--data-format <format>', 'how the layer is stored').choices(DATA_FORMATS as string[]).default('wkw'))
    .addOption(samplingModeOption())
    .addOption(jobsOption())
    .option('-n, --name <name>', 'dataset name (default: the directory name)', parseName)
    .addOption(quietOption())
    distributionOptions(command).action(async (imageDir: string, target: string, opts: Options) => {
    const { existed } = await checkFreeTarget(target, 'The dataset')
    const stack = await scanImages(imageDir)
    const plan = opts.downsample ? planMags(stack.size, opts) : undefined
    const start = performance.now()
    await writingInto(target, existed, () =>
      withExecutor(opts, async (executor) => {
        const dataset = await Dataset.create(target, { scale: opts.scale, name: opts.name ?? basename(target) })
        const layer = await withProgress('convert', 'slices', opts, (onProgress) =>
          usage(() =>
            dataset.addLayerFromImages(imageDir, opts.layer, {
              category: opts.category,
              dtype: opts.dtype,
              dataFormat: opts.dataFormat,
              executor,
              signal: runtime.signal,
              onProgress,
            }),
          ),
        )
        const written = (performance.now() - start) / 1000
        const [w, h, d] = stack.size
        const info = layer.getMag(1).info
        const largest = layer instanceof SegmentationLayer ? `, largest segment id ${layer.largestSegmentId}` : ''
        say(
          `wrote ${layer.name} mag 1: ${formatVec(stack.size)} voxels, ${info.numChannels} x ${info.voxelType}, from ${d} slices in ${written.toFixed(2)} s ` +
            `(${formatRate(w * h * d, written)})${largest}`,
        )
        if (opts.compress) {
          const mag1 = layer.getMag(1)
          await withProgress(`compress ${layer.name}/1`, 'files', opts, (onProgress) => mag1.compress({ executor, signal: runtime.signal, onProgress }))
        }
        if (plan && plan.mags.length > 0) {
          const downsample = await checkedPlan(layer, () =>
            layer.planDownsample({ fromMag: 1, maxMag: plan.maxMag, samplingMode: opts.samplingMode, interpolationMode: opts.interpolation, compress: opts.compress }),
          )
          say(describePlan(downsample))
          for (const line of formatSteps(layer.name, await runWithReport(downsample, executor, opts))) say(line)
        }
      }),
    )
    say(`converted "${imageDir}" into "${target}" in ${((performance.now() - start) / 1000).toFixed(2)} s`)
  })
}

/** The library's refusals of the options (a dtype that cannot hold the images) are usage errors. */
async function usage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof WebknossosError && error.code === 'ERR_WK_INVALID_ARGUMENT') throw new UsageError(error.message)
    throw error
  }
}
