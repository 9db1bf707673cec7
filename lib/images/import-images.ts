// A folder of 2D slices becomes a layer at mag 1 with z = slice index, as the Python library's
// `add_layer_from_images` does: one task per z-slab of the shard depth, so that tasks write
// disjoint shards and run on any executor.
import { resolve } from 'node:path'
import { invalidArgument } from '../errors'
import { BoundingBox } from '../geometry/bounding-box'
import { Mag } from '../geometry/mag'
import type { Vec3 } from '../geometry/vec3'
import type { Distributable } from '../execution/executor'
import { LocalExecutor } from '../execution/local-executor'
import { finishStep, runStep } from '../execution/step'
import type { ImagesTask } from '../execution/task'
import type { Dataset } from '../model/dataset'
import { type AddMagOptions, type Layer, createMagArray } from '../model/layer'
import { SegmentationLayer } from '../model/segmentation-layer'
import { type LongOp, checkLongOp } from '../native/long-op'
import type { DataFormat } from '../storage/mag-array'
import { shardsOf } from '../storage/shards'
import { scanStack } from './image-stack'
import { slabMemory } from './image-slab'
import { joinPath, resolvePath } from '../storage/location'

export interface ImportImagesOptions extends LongOp, Distributable, Pick<AddMagOptions, 'chunkShape' | 'shardShape' | 'blockLen' | 'fileLen'> {
  category?: 'color' | 'segmentation'
  /** Default: from the first image (uint16 for 16-bit images, else uint8). */
  dtype?: 'uint8' | 'uint16'
  /** Default "wkw". */
  dataFormat?: DataFormat
}

/** What a folder of slices holds, read from the image headers only. */
export interface ImageStackInfo {
  /** Width, height and number of slices. */
  readonly size: Vec3
  readonly channels: 1 | 3
  /** The dtype of a layer made from the stack by default. */
  readonly dtype: 'uint8' | 'uint16'
}

/** Reads what the slices in `imageDir` hold and checks that they make one stack. */
export async function scanImages(imageDir: string): Promise<ImageStackInfo> {
  const { default: sharp } = await import('sharp')
  const stack = await scanStack(sharp, imageDir)
  return { size: [stack.width, stack.height, stack.slices.length], channels: stack.channels, dtype: stack.firstDepth === 'ushort' ? 'uint16' : 'uint8' }
}

/**
 * Adds layer `name` to `dataset` from the slices in `imageDir` (TIFF, PNG, JPEG; sorted
 * naturally; 8 or 16 bit; grayscale or RGB), written uncompressed at mag 1. A segmentation layer
 * gets the largest value written as its largest segment id. Everything is checked from the image
 * headers before anything is written; `onProgress` counts slices.
 */
export async function addLayerFromImages(dataset: Dataset, imageDir: string, name: string, opts: ImportImagesOptions = {}): Promise<Layer> {
  checkLongOp(opts)
  const category = opts.category ?? 'color'
  const { default: sharp } = await import('sharp')
  // Tasks may run in other directories and on other machines: their paths are absolute.
  const stack = await scanStack(sharp, resolve(imageDir))
  const dtype = opts.dtype ?? (stack.firstDepth === 'ushort' ? 'uint16' : 'uint8')
  const wide = stack.slices.find((s) => s.depth === 'ushort')
  if (dtype === 'uint8' && wide) {
    throw invalidArgument(`dtype uint8${opts.dtype ? '' : ' (from the first image)'} cannot hold the 16-bit image "${wide.file}": use uint16`)
  }
  if (stack.channels === 3 && dtype !== 'uint8') throw invalidArgument('RGB images make a uint8 layer: dtype must be uint8')
  if (stack.channels === 3 && category === 'segmentation') throw invalidArgument('A segmentation layer needs single-channel images, but the images are RGB')
  const layer = await dataset.addLayer(name, category, {
    dtypePerChannel: dtype,
    numChannels: stack.channels,
    dataFormat: opts.dataFormat,
    ...(category === 'segmentation' ? { largestSegmentId: 0 } : {}),
  })
  const spec = layer.magSpec({ chunkShape: opts.chunkShape, shardShape: opts.shardShape, blockLen: opts.blockLen, fileLen: opts.fileLen, compress: false })
  const target = await createMagArray(joinPath(layer.path, '1'), spec, true)
  const executor = opts.executor ?? new LocalExecutor({ jobs: opts.jobs })
  const depth = spec.shardShape[2]
  const { width, height, channels } = stack
  const memory = slabMemory(width, height, channels, dtype === 'uint16' ? 2 : 1, executor.threadsPerTask)
  const tasks = (run: string): ImagesTask[] => {
    const list: ImagesTask[] = []
    for (let z = 0; z < stack.slices.length; z += depth) {
      const slices = stack.slices.slice(z, z + depth)
      list.push({
        kind: 'images',
        run,
        index: list.length,
        dataset: resolvePath(dataset.path),
        layer: name,
        shards: shardsOf(new BoundingBox([0, 0, z], [width, height, slices.length]), spec.shardShape),
        memory,
        target: { path: resolvePath(target.path), mag: '1' },
        slices,
        z,
        width,
        height,
        channels,
        dtype,
        largest: category === 'segmentation',
      })
    }
    return list
  }
  const results = await runStep(
    target,
    { kind: 'images', directory: imageDir, slices: stack.slices, spec },
    { tasks },
    { executor, signal: opts.signal, onProgress: opts.onProgress },
  )
  await layer.register(new Mag(1), target, new BoundingBox([0, 0, 0], [width, height, stack.slices.length]))
  await finishStep(target)
  if (layer instanceof SegmentationLayer) await layer.setLargestSegmentId(Math.max(0, ...results.map((r) => r.largest ?? 0)))
  return dataset.getLayer(name)
}
