// `wk export-tiff <dataset> <destination>`: one TIFF per z-slice of a box of one mag.
import type { Command } from 'commander'
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type BoundingBox, type Dataset, type Layer, Mag, type TypedArray, dtypeSize } from '../../index'
import { CliError, UsageError, defineCommand, formatRate, formatVec, jobsOption, mapLimit, openDataset, quietOption, runtime, say } from './common'
import { parseBoundingBox, parseMag, parseName } from './options'
import { withProgress } from './progress'

interface Options {
  layer?: string
  mag: Mag
  bbox?: BoundingBox
  name?: string
  jobs?: number
  quiet?: boolean
}

/** Bytes of voxels read at once. */
const SLAB_BYTES = 256 * 1024 * 1024
const MAX_SLAB_SLICES = 32

/** `--layer`, or the only color layer. */
function chooseLayer(dataset: Dataset, name: string | undefined): Layer {
  if (name !== undefined) return dataset.getLayer(name)
  const color = [...dataset.layers.values()].filter((l) => l.category === 'color')
  if (color.length === 1) return color[0]
  const names = [...dataset.layers.keys()].join(', ') || 'none'
  throw new UsageError(`export-tiff needs --layer: "${dataset.path}" has ${color.length} color layers (layers: ${names})`)
}

/** The colourspace sharp writes a layer in, or why it cannot. */
export function tiffColourspace(layer: { dtypePerChannel: string; numChannels: number }): 'b-w' | 'grey16' | 'srgb' {
  const { dtypePerChannel: dtype, numChannels: c } = layer
  if (dtype === 'uint8' && c === 1) return 'b-w'
  if (dtype === 'uint16' && c === 1) return 'grey16'
  if (dtype === 'uint8' && c === 3) return 'srgb'
  throw new CliError(
    `Cannot export ${c} x ${dtype} as TIFF: sharp writes only uint8 (1 or 3 channels) and uint16 (1 channel) images`,
  )
}

/** `{name}_{k:06d}.tiff`, or `{k:06d}.tiff` without a name. */
export function sliceFileName(name: string | undefined, k: number): string {
  const number = String(k).padStart(6, '0')
  return name ? `${name}_${number}.tiff` : `${number}.tiff`
}

export function register(program: Command): void {
  defineCommand(program, 'export-tiff', 'Write one TIFF image per z-slice of a layer (grayscale or RGB)')
    .argument('<dataset>', 'dataset directory or URL (s3://…, https://…)')
    .argument('<destination>', 'directory for the TIFF files (created if missing)')
    .option('-l, --layer <name>', 'layer to export (default: the only color layer)')
    .option('-m, --mag <mag>', 'mag to export', parseMag, new Mag(1))
    .option('--bbox <x,y,z,w,h,d>', 'box in mag-1 voxels (default: the layer\'s bounding box)', parseBoundingBox)
    .option('-n, --name <prefix>', 'file name prefix: <prefix>_000001.tiff', parseName)
    .addOption(jobsOption())
    .addOption(quietOption())
    .action(async (path: string, destination: string, opts: Options) => {
      const dataset = await openDataset(path)
      const layer = chooseLayer(dataset, opts.layer)
      const view = layer.getMag(opts.mag)
      const colourspace = tiffColourspace(layer)
      const mag1Box = opts.bbox ?? layer.boundingBox
      if (mag1Box.isEmpty()) throw new CliError(`Layer "${layer.name}" has an empty bounding box: there is nothing to export (give --bbox)`)
      const box = mag1Box.alignWithMag(opts.mag, { ceil: true }).inMag(opts.mag)
      const destInfo = await stat(destination).catch(() => undefined)
      if (destInfo && !destInfo.isDirectory()) throw new CliError(`The destination "${destination}" exists and is not a directory`)

      const { default: sharp } = await import('sharp')
      sharp.cache(false)
      const [width, height, depth] = box.size
      const channels = layer.numChannels
      const sliceBytes = width * height * channels * dtypeSize(layer.dtypePerChannel)
      const slab = Math.max(1, Math.min(MAX_SLAB_SLICES, Math.floor(SLAB_BYTES / sliceBytes)))
      const start = performance.now()
      await mkdir(destination, { recursive: true })
      await withProgress('export-tiff', 'slices', opts, async (onProgress) => {
        let done = 0
        onProgress({ done, total: depth })
        for (let z = 0; z < depth; z += slab) {
          if (runtime.signal.aborted) throw runtime.signal.reason
          const n = Math.min(slab, depth - z)
          const voxels = await view.read({ offset: [box.topLeft[0], box.topLeft[1], box.topLeft[2] + z], size: [width, height, n] })
          const plane = width * height * channels
          await mapLimit(Array.from({ length: n }, (_, i) => i), opts.jobs ?? 4, async (i) => {
            const pixels = (voxels.data as TypedArray).subarray(i * plane, (i + 1) * plane) as Uint8Array | Uint16Array
            const file = join(destination, sliceFileName(opts.name, z + i + 1))
            await sharp(pixels, { raw: { width, height, channels: channels as 1 | 3 }, limitInputPixels: false })
              .toColourspace(colourspace)
              .tiff({ compression: 'lzw' })
              .toFile(file)
            onProgress({ done: ++done, total: depth })
          })
        }
      })
      const seconds = (performance.now() - start) / 1000
      say(
        `exported ${depth} slice${depth === 1 ? '' : 's'} of ${width}x${height} (layer "${layer.name}", mag ${opts.mag}, ` +
          `box ${formatVec(box.topLeft)} + ${formatVec(box.size)} in mag voxels) to "${destination}" in ${seconds.toFixed(2)} s, ` +
          `${formatRate(box.volume(), seconds)}`,
      )
    })
}
