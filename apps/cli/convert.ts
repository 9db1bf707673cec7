// `wk convert <image-dir> <dataset>`: a folder of 2D slices (TIFF, PNG, JPEG) becomes one layer
// at mag 1 with z = slice index; then mag 1 is compressed and downsampled, as wkcuber's
// convert_image_stack_to_wkw does.
import { type Command, Option } from 'commander'
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'
import { DATA_FORMATS, type DataFormat, Dataset, type InterpolationMode, Mag, type SamplingMode, SegmentationLayer, WebknossosError, downsamplingMags } from '../../index'
import { UsageError, checkFreeTarget, defineCommand, formatRate, formatVec, jobsOption, mapLimit, quietOption, runtime, say, writingInto } from './common'
import { checkedPlan, describePlan, formatSteps, interpolationOption, runWithReport, samplingModeOption } from './downsample'
import { decode, scanStack } from './images'
import { parseMag, parseName, parseScale } from './options'
import { withProgress } from './progress'

/** Slices decoded and written together: one z-slab. */
export const BATCH_SLICES = 32

interface Options {
  scale: [number, number, number]
  layer: string
  category: 'color' | 'segmentation'
  dtype?: 'uint8' | 'uint16'
  maxMag?: Mag
  downsample: boolean
  compress: boolean
  interpolation: InterpolationMode
  samplingMode: SamplingMode
  jobs?: number
  name?: string
  quiet?: boolean
  dataFormat: DataFormat
}

/** The mags a downsampling of a (w, h, d) layer from mag 1 creates, checked before anything is written. */
function planMags(size: [number, number, number], opts: Options): { maxMag: Mag; mags: Mag[] } {
  try {
    return downsamplingMags(new Mag(1), { maxMag: opts.maxMag, samplingMode: opts.samplingMode, scale: opts.scale, size })
  } catch (error) {
    if (error instanceof WebknossosError && error.code === 'ERR_WK_INVALID_ARGUMENT') throw new UsageError(error.message)
    throw error
  }
}

export function register(program: Command): void {
  defineCommand(program, 'convert', 'Convert a folder of 2D image slices (TIFF, PNG, JPEG) into a new dataset')
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
    .action(async (imageDir: string, target: string, opts: Options) => {
      const { existed } = await checkFreeTarget(target, 'The dataset')
      const { default: sharp } = await import('sharp')
      sharp.cache(false)
      const stack = await scanStack(sharp, imageDir)
      const dtype = opts.dtype ?? (stack.firstDepth === 'ushort' ? 'uint16' : 'uint8')
      const wide = stack.slices.find((s) => s.depth === 'ushort')
      if (dtype === 'uint8' && wide) {
        throw new UsageError(`--dtype uint8${opts.dtype ? '' : ' (from the first image)'} cannot hold the 16-bit image "${wide.file}": use --dtype uint16`)
      }
      if (stack.channels === 3 && dtype !== 'uint8') throw new UsageError('RGB images make a uint8 layer: --dtype must be uint8')
      if (stack.channels === 3 && opts.category === 'segmentation') throw new UsageError('A segmentation layer needs single-channel images, but the images are RGB')
      const size: [number, number, number] = [stack.width, stack.height, stack.slices.length]
      const plan = opts.downsample ? planMags(size, opts) : undefined
      const jobs = opts.jobs ?? availableParallelism()

      const start = performance.now()
      await writingInto(target, existed, async () => {
        const dataset = await Dataset.create(target, { scale: opts.scale, name: opts.name ?? basename(target) })
        const layer = await dataset.addLayer(opts.layer, opts.category, {
          dtypePerChannel: dtype,
          numChannels: stack.channels,
          dataFormat: opts.dataFormat,
          ...(opts.category === 'segmentation' ? { largestSegmentId: 0 } : {}),
        })
        // Written uncompressed, slab by slab, then compressed once: rewriting compressed shards
        // for every slab would cost far more.
        const mag1 = await layer.addMag(1, { compress: false })
        const C = stack.channels
        const plane = stack.width * stack.height * C
        const slab = dtype === 'uint16' ? new Uint16Array(plane * BATCH_SLICES) : new Uint8Array(plane * BATCH_SLICES)
        let largest = 0
        await withProgress('convert', 'slices', opts, async (onProgress) => {
          let done = 0
          onProgress({ done, total: stack.slices.length })
          for (let z0 = 0; z0 < stack.slices.length; z0 += BATCH_SLICES) {
            if (runtime.signal.aborted) throw runtime.signal.reason
            const batch = stack.slices.slice(z0, z0 + BATCH_SLICES)
            await mapLimit(batch, jobs, async (slice, i) => {
              const pixels = await decode(sharp, slice, stack)
              const at = i * plane
              if (pixels.BYTES_PER_ELEMENT === slab.BYTES_PER_ELEMENT) (slab as Uint8Array).set(pixels as Uint8Array, at)
              else for (let j = 0; j < plane; j++) slab[at + j] = pixels[j]
              onProgress({ done: ++done, total: stack.slices.length })
            })
            const data = slab.subarray(0, plane * batch.length)
            if (opts.category === 'segmentation') for (let j = 0; j < data.length; j++) if (data[j] > largest) largest = data[j]
            await mag1.write({ data, shape: [C, stack.width, stack.height, batch.length] }, { offset: [0, 0, z0] })
          }
        })
        if (layer instanceof SegmentationLayer) await layer.setLargestSegmentId(largest)
        const written = (performance.now() - start) / 1000
        say(
          `wrote ${layer.name} mag 1: ${formatVec(size)} voxels, ${C} x ${dtype}, from ${stack.slices.length} slices in ${written.toFixed(2)} s ` +
            `(${formatRate(size[0] * size[1] * size[2], written)})${layer instanceof SegmentationLayer ? `, largest segment id ${largest}` : ''}`,
        )
        if (opts.compress) {
          await withProgress(`compress ${layer.name}/1`, 'files', opts, (onProgress) =>
            mag1.compress({ jobs: opts.jobs, signal: runtime.signal, onProgress }),
          )
        }
        if (plan && plan.mags.length > 0) {
          const downsample = await checkedPlan(layer, () =>
            layer.planDownsample({ fromMag: 1, maxMag: plan.maxMag, samplingMode: opts.samplingMode, interpolationMode: opts.interpolation, compress: opts.compress }),
          )
          say(describePlan(downsample))
          for (const line of formatSteps(layer.name, await runWithReport(downsample, opts))) say(line)
        }
      })
      say(`converted "${imageDir}" into "${target}" in ${((performance.now() - start) / 1000).toFixed(2)} s`)
    })
}
