// Downsampling and upsampling of a layer: the options of each entry point become a plan
// (which mags, how, which shards), which runs on native threads.
import { invalidArgument } from '../errors'
import { Mag, type MagLike, toMag } from '../geometry/mag'
import type { Layer } from '../model/layer'
import type { MagView } from '../model/mag-view'
import type { SamplingTimings } from '../native/binding'
import type { Distributable } from '../execution/executor'
import type { LongOp } from '../native/long-op'
import { type SamplingMode, downsamplingMags, magsToUpsample, orderMagList, samplingSetup } from './ladder'
import { SamplingPlan } from './plan'

export type InterpolationMode = 'default' | 'median' | 'mode' | 'nearest' | 'bilinear' | 'bicubic' | 'max' | 'min'

export const INTERPOLATION_MODES: readonly InterpolationMode[] = ['default', 'median', 'mode', 'nearest', 'bilinear', 'bicubic', 'max', 'min']

export interface SamplingOptions extends LongOp, Distributable {
  /** LZ4HC-compress the new mags (default true when downsampling). */
  compress?: boolean
  /** Edge (in target voxels) of the tiles the linear modes resample on their own; default min(256, file edge). */
  bufferEdgeLen?: number
}

export interface DownsampleOptions extends SamplingOptions {
  fromMag?: MagLike
  maxMag?: MagLike
  interpolationMode?: InterpolationMode
  samplingMode?: SamplingMode
}

export interface DownsampleMagOptions extends SamplingOptions {
  fromMag: MagLike
  targetMag: MagLike
  interpolationMode?: InterpolationMode
}

export interface DownsampleMagListOptions extends SamplingOptions {
  fromMag: MagLike
  targetMags: MagLike[]
  interpolationMode?: InterpolationMode
}

export interface UpsampleOptions extends SamplingOptions {
  fromMag: MagLike
  minMag?: MagLike
  compress: boolean
  samplingMode?: SamplingMode
}

/** What the native core reports of one step: thread-seconds spent per stage. */
export type { SamplingTimings } from '../native/binding'

/** The interpolation `mode` stands for in `layer`: "default" is mode for segmentation, median otherwise. */
export function interpolationFor(layer: Layer, mode: InterpolationMode | undefined): string {
  const m = (mode ?? 'default').toLowerCase() as InterpolationMode
  if (!INTERPOLATION_MODES.includes(m)) throw invalidArgument(`interpolationMode must be one of ${INTERPOLATION_MODES.join(', ')}, but is ${JSON.stringify(mode)}`)
  if (m !== 'default') return m
  return layer.category === 'segmentation' ? 'mode' : 'median'
}

/** Plans downsampling from `fromMag` (default: the coarsest mag) up to `maxMag` along the ladder of `samplingMode`. */
export async function planDownsample(layer: Layer, opts: DownsampleOptions = {}): Promise<SamplingPlan> {
  if (layer.mags.size === 0) throw invalidArgument(`Layer "${layer.name}" has no mag to downsample from`)
  const from = opts.fromMag !== undefined ? layer.getMag(opts.fromMag) : coarsestMagView(layer)
  if (layer.boundingBox.isEmpty()) throw invalidArgument(`Layer "${layer.name}" has an empty bounding box: there is nothing to sample`)
  const { mags } = downsamplingMags(from.mag, { ...opts, scale: layer.dataset.scale, size: layer.boundingBox.size })
  const mode = interpolationFor(layer, opts.interpolationMode)
  return SamplingPlan.create(layer, 'down', from, mags, mode, { ...opts, compress: opts.compress ?? true })
}

/** Plans creating `targetMag` from `fromMag` in one step. */
export async function planDownsampleMag(layer: Layer, opts: DownsampleMagOptions): Promise<SamplingPlan> {
  const from = layer.getMag(opts?.fromMag)
  const target = toMag(opts.targetMag)
  return SamplingPlan.create(layer, 'down', from, [target], interpolationFor(layer, opts.interpolationMode), { ...opts, compress: opts.compress ?? true })
}

/** Plans creating each of `targetMags` from the previous one, starting at `fromMag`. */
export async function planDownsampleMagList(layer: Layer, opts: DownsampleMagListOptions): Promise<SamplingPlan> {
  const from = layer.getMag(opts?.fromMag)
  if (!Array.isArray(opts.targetMags)) throw invalidArgument('targetMags must be an array of mags')
  const mags = orderMagList(opts.targetMags.map(toMag))
  return SamplingPlan.create(layer, 'down', from, mags, interpolationFor(layer, opts.interpolationMode), { ...opts, compress: opts.compress ?? true })
}

/** Plans creating the finer mags from `fromMag` down to `minMag` (default 1) by nearest-neighbour replication. */
export async function planUpsample(layer: Layer, opts: UpsampleOptions): Promise<SamplingPlan> {
  const from = layer.getMag(opts?.fromMag)
  if (typeof opts.compress !== 'boolean') throw invalidArgument('upsample needs compress: true or false')
  const minMag = toMag(opts.minMag ?? 1)
  const { coarsest: finest, voxelSize } = samplingSetup(opts.samplingMode ?? 'auto', minMag, minMag, layer.dataset.scale)
  const fine = opts.samplingMode === 'constant_z' ? new Mag([finest.x, finest.y, from.mag.z]) : finest
  const mags = magsToUpsample(from.mag, fine, voxelSize).filter((m) => !m.equals(from.mag))
  return SamplingPlan.create(layer, 'up', from, mags, 'upsample', { ...opts, compress: opts.compress })
}

/** The mag with the largest component (the last one on ties), as the reference picks it. */
function coarsestMagView(layer: Layer): MagView {
  let best: MagView | undefined
  for (const view of layer.mags.values()) if (!best || view.mag.maxDim >= best.mag.maxDim) best = view
  return best!
}

/** Runs `plan` with the long-operation options of the call that made it. */
export async function runPlan(plan: Promise<SamplingPlan>, opts: LongOp & Distributable): Promise<SamplingTimings[]> {
  return (await plan).run(opts)
}
