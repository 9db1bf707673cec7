// Downsampling and upsampling of a layer: the TypeScript side chooses the mags, creates and
// registers them; the native core computes every target file on its own threads.
import { join } from 'node:path'
import { WebknossosError, invalidArgument } from './errors'
import type { Layer } from './layer'
import { type LongOp, checkLongOp, runNative } from './long-op'
import { Mag, type MagLike, toMag } from './mag'
import type { MagView } from './mag-view'
import type { SamplingTimings } from './binding'
import { native, nativeCall } from './native'
import { type SamplingMode, defaultMaxMag, magsToDownsample, magsToUpsample, orderMagList, samplingSetup } from './sampling-plan'
import type { Vec3 } from './vec3'
import { type WkwHeader, filesTouched, toHeader } from './wkw'

export type InterpolationMode = 'default' | 'median' | 'mode' | 'nearest' | 'bilinear' | 'bicubic' | 'max' | 'min'

const INTERPOLATION_MODES: readonly InterpolationMode[] = ['default', 'median', 'mode', 'nearest', 'bilinear', 'bicubic', 'max', 'min']

export interface SamplingOptions extends LongOp {
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
export type { SamplingTimings } from './binding'

function interpolationFor(layer: Layer, mode: InterpolationMode | undefined): string {
  const m = (mode ?? 'default').toLowerCase() as InterpolationMode
  if (!INTERPOLATION_MODES.includes(m)) throw invalidArgument(`interpolationMode must be one of ${INTERPOLATION_MODES.join(', ')}, but is ${JSON.stringify(mode)}`)
  if (m !== 'default') return m
  return layer.category === 'segmentation' ? 'mode' : 'median'
}

/** The per-axis factor between two mags, which must divide each other. */
function factorsBetween(fine: Mag, coarse: Mag): Vec3 {
  const f: Vec3 = [coarse.x / fine.x, coarse.y / fine.y, coarse.z / fine.z]
  if (!f.every((v) => Number.isInteger(v) && v >= 1)) throw invalidArgument(`Mag ${coarse} is not a multiple of mag ${fine} on every axis`)
  return f
}

/**
 * Makes each mag of `mags` from the one before it (the first from `from`), one native job per
 * step, with one running progress total over all target files. Everything is checked before the
 * first file is written; a mag is registered in the properties only when its step is complete.
 */
async function runChain(
  layer: Layer,
  from: MagView,
  mags: Mag[],
  kind: 'down' | 'up',
  mode: string,
  opts: SamplingOptions,
  compress: boolean,
): Promise<SamplingTimings[]> {
  checkLongOp(opts)
  if (opts.bufferEdgeLen !== undefined && !(Number.isSafeInteger(opts.bufferEdgeLen) && opts.bufferEdgeLen >= 1)) {
    throw invalidArgument(`bufferEdgeLen must be a positive integer, but is ${opts.bufferEdgeLen}`)
  }
  const bbox = layer.boundingBox
  if (bbox.isEmpty()) throw invalidArgument(`Layer "${layer.name}" has an empty bounding box: there is nothing to sample`)
  const header: WkwHeader = { ...from.header, blockType: compress ? 'lz4hc' : 'raw' }
  const steps = mags.map((target, i) => {
    const source = i === 0 ? from.mag : mags[i - 1]
    if (layer.mags.has(target.toLayerName())) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Mag ${target} already exists in layer "${layer.name}"`)
    }
    const [fine, coarse] = kind === 'down' ? [source, target] : [target, source]
    const region = bbox.alignWithMag(coarse, { ceil: true })
    return { source, target, factors: factorsBetween(fine, coarse), sourceBox: region.inMag(source), targetBox: region.inMag(target) }
  })
  const total = steps.reduce((n, s) => n + filesTouched(s.targetBox, header), 0)
  const edge = from.header.blockLen * from.header.fileLen
  const timings: SamplingTimings[] = []
  let before = 0
  for (const step of steps) {
    const source = layer.getMag(step.source)
    const target = join(layer.path, step.target.toLayerName())
    await createTargetMag(target, header)
    const onProgress = (p: { done: number }) => opts.onProgress?.({ done: before + p.done, total })
    const job = {
      source: source.path,
      target,
      sourceOffset: [...step.sourceBox.topLeft],
      sourceSize: [...step.sourceBox.size],
      targetOffset: [...step.targetBox.topLeft],
      targetSize: [...step.targetBox.size],
      factors: [...step.factors],
      mode: kind === 'up' ? 'upsample' : mode,
      bufferEdgeLen: opts.bufferEdgeLen ?? Math.min(256, edge),
    }
    timings.push(await runNative({ ...opts, onProgress }, (flag, report, jobs) => native.sampleMag(job, jobs, report, flag)))
    await layer.registerMag(step.target, header)
    before += filesTouched(step.targetBox, header)
  }
  return timings
}

/**
 * Creates the directory of a new mag. One left unregistered by an aborted run is reused when its
 * header matches (its files are all rewritten), so the run can simply be repeated.
 */
async function createTargetMag(path: string, header: WkwHeader): Promise<void> {
  try {
    await nativeCall(() => native.wkwCreate(path, header))
  } catch (error) {
    if ((error as WebknossosError).code !== 'ERR_WK_ALREADY_EXISTS') throw error
    const existing = toHeader(await nativeCall(() => native.wkwOpen(path)))
    const same = (['blockLen', 'fileLen', 'blockType', 'voxelType', 'numChannels'] as const).every((k) => existing[k] === header[k])
    if (!same) throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `"${path}" exists and is not a registered mag; delete it first`)
  }
}

/** Downsamples from `fromMag` (default: the coarsest mag) up to `maxMag` along the ladder of `samplingMode`. */
export async function downsample(layer: Layer, opts: DownsampleOptions = {}): Promise<SamplingTimings[]> {
  if (layer.mags.size === 0) throw invalidArgument(`Layer "${layer.name}" has no mag to downsample from`)
  const from = opts.fromMag !== undefined ? layer.getMag(opts.fromMag) : coarsestMagView(layer)
  const maxMag = opts.maxMag !== undefined ? toMag(opts.maxMag) : defaultMaxMag(layer.boundingBox.size)
  const { coarsest, voxelSize } = samplingSetup(opts.samplingMode ?? 'auto', from.mag, maxMag, layer.dataset.scale)
  const mode = interpolationFor(layer, opts.interpolationMode)
  const mags = magsToDownsample(from.mag, coarsest, voxelSize)
  return runChain(layer, from, mags, 'down', mode, opts, opts.compress ?? true)
}

/** Creates `targetMag` from `fromMag` in one step. */
export async function downsampleMag(layer: Layer, opts: DownsampleMagOptions): Promise<SamplingTimings[]> {
  const from = layer.getMag(opts?.fromMag)
  const target = toMag(opts.targetMag)
  return runChain(layer, from, [target], 'down', interpolationFor(layer, opts.interpolationMode), opts, opts.compress ?? true)
}

/** Creates each of `targetMags` from the previous one, starting at `fromMag`. */
export async function downsampleMagList(layer: Layer, opts: DownsampleMagListOptions): Promise<SamplingTimings[]> {
  const from = layer.getMag(opts?.fromMag)
  if (!Array.isArray(opts.targetMags)) throw invalidArgument('targetMags must be an array of mags')
  const mags = orderMagList(opts.targetMags.map(toMag))
  return runChain(layer, from, mags, 'down', interpolationFor(layer, opts.interpolationMode), opts, opts.compress ?? true)
}

/** Creates the finer mags from `fromMag` down to `minMag` (default 1) by nearest-neighbour replication. */
export async function upsample(layer: Layer, opts: UpsampleOptions): Promise<SamplingTimings[]> {
  const from = layer.getMag(opts?.fromMag)
  if (typeof opts.compress !== 'boolean') throw invalidArgument('upsample needs compress: true or false')
  const minMag = toMag(opts.minMag ?? 1)
  const { coarsest: finest, voxelSize } = samplingSetup(opts.samplingMode ?? 'auto', minMag, minMag, layer.dataset.scale)
  const fine = opts.samplingMode === 'constant_z' ? new Mag([finest.x, finest.y, from.mag.z]) : finest
  const mags = magsToUpsample(from.mag, fine, voxelSize)
  return runChain(layer, from, mags, 'up', 'upsample', opts, opts.compress)
}

/** The mag with the largest component (the last one on ties), as the reference picks it. */
function coarsestMagView(layer: Layer): MagView {
  let best: MagView | undefined
  for (const view of layer.mags.values()) if (!best || view.mag.maxDim >= best.mag.maxDim) best = view
  return best!
}

