import { realpath } from 'node:fs/promises'
import { relative } from 'node:path'
import { WebknossosError, invalidArgument } from '../errors'
import { BoundingBox } from '../geometry/bounding-box'
import { Mag, type MagLike, toMag } from '../geometry/mag'
import { MAX_COORDINATE, type Vec3, formatVec3, max, min, sub, toVec3, vecEquals } from '../geometry/vec3'
import {
  type DownsampleMagListOptions,
  type DownsampleMagOptions,
  type DownsampleOptions,
  type SamplingTimings,
  type UpsampleOptions,
  planDownsample,
  planDownsampleMag,
  planDownsampleMagList,
  planUpsample,
  runPlan,
} from '../sampling/downsampling'
import type { SamplingPlan } from '../sampling/plan'
import type { DType } from '../storage/dtype'
import { copyTree, makeSymlink, remove } from '../storage/files'
import { type ArraySpec, type Compression, type DataFormat, MagArray } from '../storage/mag-array'
import { checkLength } from '../storage/wkw'
import type { Dataset } from './dataset'
import { dtypePerChannelToPerLayer } from './element-class'
import { MagView } from './mag-view'
import { type MagLocation, isUrl, locateMag } from './paths'
import { type Category, type LayerJson, type LayerViewConfiguration, PROPERTIES_FILE_NAME, addMagEntry, magEntries, removeMagEntry } from './properties'
import { baseName, dirName, joinPath, resolvePath } from '../storage/location'

export interface AddMagOptions {
  /** Voxels per chunk, the unit of compression (default 32³). WKW: the block, cubic. */
  chunkShape?: Vec3 | number
  /** Voxels per shard, the unit of a file (default 1024³; Zarr v2: the chunk). */
  shardShape?: Vec3 | number
  /** WKW's name of the chunk edge (voxels per block edge). */
  blockLen?: number
  /** WKW's blocks per file edge: the shard is blockLen·fileLen. */
  fileLen?: number
  /** Compress new chunks (LZ4HC for WKW, zstd for Zarr); default false for WKW, true otherwise. */
  compress?: boolean
}

/** A power of two from 1 to `limit` on each axis; a number stands for a cube. */
function checkShape(value: unknown, name: string, limit: number): Vec3 {
  const v = toVec3(typeof value === 'number' ? [value, value, value] : value, name, 1)
  if (!v.every((c) => c <= limit && (c & (c - 1)) === 0)) {
    throw invalidArgument(`${name} must be powers of two from 1 to ${limit}, but is ${formatVec3(v)}`)
  }
  return v
}

/** The layout of a new mag of a layer of `dataFormat`, from `addMag`'s options. */
export function magSpec(dataFormat: DataFormat, voxelType: DType, numChannels: number, opts: AddMagOptions): ArraySpec {
  const compress = opts.compress ?? dataFormat !== 'wkw'
  if (typeof compress !== 'boolean') throw invalidArgument(`compress must be true or false, but is ${String(compress)}`)
  const compression: Compression = !compress ? 'none' : dataFormat === 'wkw' ? 'lz4hc' : 'zstd'
  const chunkFromBlock = opts.blockLen === undefined ? undefined : checkLength(opts.blockLen, 'blockLen', 1024)
  const fileLen = opts.fileLen === undefined ? undefined : checkLength(opts.fileLen, 'fileLen', 128)
  const chunkShape = checkShape(opts.chunkShape ?? chunkFromBlock ?? 32, 'chunkShape', 1024)
  const shardShape =
    opts.shardShape !== undefined
      ? checkShape(opts.shardShape, 'shardShape', 2 ** 20)
      : fileLen !== undefined
        ? (chunkShape.map((c) => c * fileLen) as unknown as Vec3)
        : dataFormat === 'zarr'
          ? chunkShape
          : ([1024, 1024, 1024].map((s, i) => Math.max(s, chunkShape[i])) as unknown as Vec3)
  if (shardShape.some((s, i) => s % chunkShape[i] !== 0)) {
    throw invalidArgument(`shardShape ${formatVec3(shardShape)} must be a multiple of chunkShape ${formatVec3(chunkShape)}`)
  }
  if (dataFormat === 'zarr' && !vecEquals(shardShape, chunkShape)) {
    throw invalidArgument(`Zarr v2 has no shards: shardShape ${formatVec3(shardShape)} must equal chunkShape ${formatVec3(chunkShape)}; use zarr3`)
  }
  if (dataFormat === 'wkw') {
    const cubic = (v: Vec3) => v[0] === v[1] && v[1] === v[2]
    if (!cubic(chunkShape) || !cubic(shardShape) || shardShape[0] / chunkShape[0] > 128) {
      throw invalidArgument(`WKW needs cubic chunks of at most 1024 and at most 128 per shard edge, not ${formatVec3(chunkShape)} in ${formatVec3(shardShape)}`)
    }
  }
  return { dataFormat, voxelType, numChannels, chunkShape, shardShape, compression }
}

const sameLayout = (a: ArraySpec, b: ArraySpec) =>
  a.dataFormat === b.dataFormat &&
  a.voxelType === b.voxelType &&
  a.numChannels === b.numChannels &&
  a.compression === b.compression &&
  vecEquals(a.chunkShape, b.chunkShape) &&
  vecEquals(a.shardShape, b.shardShape)

/**
 * Creates the array of a new mag at `path`. One left there unregistered, with the same layout,
 * by a run that was killed is reused (when `reuseData`, even if it holds shards: a repeated
 * step rewrites them), so that the run can simply be repeated.
 */
export async function createMagArray(path: string, spec: ArraySpec, reuseData: boolean): Promise<MagArray> {
  try {
    return await MagArray.create(path, spec)
  } catch (error) {
    if ((error as WebknossosError).code !== 'ERR_WK_ALREADY_EXISTS') throw error
    const existing = await MagArray.open(path)
    if (sameLayout(existing.info, spec) && (reuseData || (await existing.shards()).length === 0)) return existing
    throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `"${path}" holds an array that is not a registered mag; delete it first`)
  }
}

/** The layer's box grown to hold `written` (mag-1 voxels), as the reference grows it. */
function grownBoundingBox(current: BoundingBox, written: BoundingBox): BoundingBox {
  const empty = current.isEmpty() && current.topLeft.every((v) => v === 0)
  const topLeft = empty || current.topLeft.every((v) => v === -1) ? written.topLeft : min(current.topLeft, written.topLeft)
  const end = max(current.bottomRight, written.bottomRight)
  return new BoundingBox(topLeft, sub(end, topLeft))
}

/** One layer of a dataset: its properties entry, its directory and its mags. */
export class Layer {
  #name: string
  readonly #mags = new Map<string, MagView>()
  /** Mags that could not be opened, each warned about once. */
  readonly #unopened = new Set<string>()
  /** Arrays of mags this object just created, taken by `syncMags` instead of opening them again. */
  readonly #created = new Map<string, MagArray>()

  /** @internal Built by Dataset, which owns the properties. */
  constructor(
    readonly dataset: Dataset,
    name: string,
    readonly dtypePerChannel: DType,
  ) {
    this.#name = name
  }

  protected get json(): LayerJson {
    return this.dataset.layerJson(this.#name)
  }

  get name(): string {
    return this.#name
  }

  get path(): string {
    return joinPath(this.dataset.path, this.name)
  }

  get category(): Category {
    return 'color'
  }

  get numChannels(): number {
    return this.json.numChannels ?? 1
  }

  /** How the layer's mags are stored. */
  get dataFormat(): DataFormat {
    return this.json.dataFormat as DataFormat
  }

  /** Bits per voxel over all channels: "uint24" for three uint8 channels. */
  get dtypePerLayer(): string {
    return dtypePerChannelToPerLayer(this.dtypePerChannel, this.numChannels)
  }

  /** The layer's box in mag-1 voxels. */
  get boundingBox(): BoundingBox {
    return BoundingBox.fromWkw(this.json.boundingBox)
  }

  /** The mags that could be opened, keyed by their layer name ("1", "2-2-1"), in properties order. */
  get mags(): ReadonlyMap<string, MagView> {
    return this.#mags
  }

  get defaultViewConfiguration(): LayerViewConfiguration | undefined {
    return this.json.defaultViewConfiguration
  }

  getMag(mag: MagLike): MagView {
    const key = toMag(mag).toLayerName()
    const view = this.#mags.get(key)
    if (!view) {
      throw new WebknossosError('ERR_WK_NOT_FOUND', `Mag ${key} is not a mag of layer "${this.name}" (mags: ${[...this.#mags.keys()].join(', ') || 'none'})`)
    }
    return view
  }

  /** The layout `addMag(mag, opts)` gives a new mag of this layer. */
  magSpec(opts: AddMagOptions = {}): ArraySpec {
    return magSpec(this.dataFormat, this.dtypePerChannel, this.numChannels, opts)
  }

  /** Creates `<layer>/<mag>` with the array of the layer's format and registers it in the properties. */
  async addMag(mag: MagLike, opts: AddMagOptions = {}): Promise<MagView> {
    const m = toMag(mag)
    this.#checkNew(m)
    const spec = this.magSpec(opts)
    return this.#register(m, await createMagArray(joinPath(this.path, m.toLayerName()), spec, false))
  }

  /** The existing mag if its layout matches; otherwise a new one. */
  async getOrAddMag(mag: MagLike, opts: AddMagOptions = {}): Promise<MagView> {
    const key = toMag(mag).toLayerName()
    const existing = this.#mags.get(key)
    if (!existing) return this.addMag(mag, opts)
    const wanted = this.magSpec(opts)
    if (!sameLayout(existing.info, wanted)) {
      const show = (s: ArraySpec) => `chunks ${formatVec3(s.chunkShape)}, shards ${formatVec3(s.shardShape)}, compression ${s.compression}`
      throw new WebknossosError('ERR_WK_MISMATCH', `Mag ${key} of layer "${this.name}" has ${show(existing.info)}; asked for ${show(wanted)}`)
    }
    return existing
  }

  /** Drops the mag's entry; deletes its directory if the layer owns it (a symlink loses the link, never its target). */
  async deleteMag(mag: MagLike): Promise<void> {
    const view = this.getMag(mag)
    await this.dataset.update((disk) => removeMagEntry(this.#entryOn(disk), view.mag))
    if (view.owned) await remove(view.path)
  }

  /** Links the mag directory `foreignMagPath` of another dataset into this layer. */
  async addSymlinkMag(foreignMagPath: string, opts: { makeRelative?: boolean } = {}): Promise<MagView> {
    return this.#addForeignMag(foreignMagPath, async (source, target) =>
      makeSymlink(opts.makeRelative ? relative(this.path, source) : source, target),
    )
  }

  /** Copies the mag directory `foreignMagPath` of another dataset into this layer. */
  async addCopyMag(foreignMagPath: string): Promise<MagView> {
    return this.#addForeignMag(foreignMagPath, copyTree)
  }

  async #addForeignMag(foreignMagPath: string, place: (source: string, target: string) => Promise<void>): Promise<MagView> {
    const source = await realpath(resolvePath(foreignMagPath)).catch(() => {
      throw new WebknossosError('ERR_WK_NOT_FOUND', `No mag directory at "${foreignMagPath}"`)
    })
    const mag = new Mag(baseName(source))
    this.#checkNew(mag)
    const { Dataset } = await import('./dataset')
    const foreignLayer = (await Dataset.open(dirName(dirName(source)))).getLayer(baseName(dirName(source)))
    const info = foreignLayer.getMag(mag).info
    if (info.voxelType !== this.dtypePerChannel || info.numChannels !== this.numChannels) {
      throw invalidArgument(`Mag "${source}" holds ${info.numChannels} × ${info.voxelType}, layer "${this.name}" ${this.numChannels} × ${this.dtypePerChannel}`)
    }
    if (info.dataFormat !== this.dataFormat) {
      throw invalidArgument(`Mag "${source}" is stored as ${info.dataFormat}, layer "${this.name}" as ${this.dataFormat}`)
    }
    const target = joinPath(this.path, mag.toLayerName())
    await place(source, target)
    return this.#register(mag, await MagArray.open(target), foreignLayer.boundingBox)
  }

  #checkNew(mag: Mag): void {
    if (this.#mags.has(mag.toLayerName()) || magEntries(this.json).some((e) => e.mag.equals(mag))) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Mag ${mag} already exists in layer "${this.name}"`)
    }
  }

  /** @internal Registers `mag` (its array at `<layer>/<mag>`), growing the layer's box by `extend`. */
  async register(mag: Mag, array: MagArray, extend?: BoundingBox): Promise<MagView> {
    return this.#register(mag, array, extend)
  }

  async #register(mag: Mag, array: MagArray, extend?: BoundingBox): Promise<MagView> {
    this.#created.set(mag.toLayerName(), array)
    try {
      await this.dataset.update((disk) => {
        const entry = this.#entryOn(disk)
        if (magEntries(entry).some((e) => e.mag.equals(mag))) {
          throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Mag ${mag} already exists in layer "${this.name}"`)
        }
        addMagEntry(entry, mag, array.info)
        if (extend) entry.boundingBox = BoundingBox.fromWkw(entry.boundingBox).extendedBy(extend).toWkw()
      })
    } finally {
      this.#created.delete(mag.toLayerName())
    }
    return this.getMag(mag)
  }

  /** This layer's entry in `disk`, the properties as another writer may have left them. */
  #entryOn(disk: { dataLayers: LayerJson[] }): LayerJson {
    const entry = disk.dataLayers.find((l) => l.name === this.name)
    if (!entry) throw new WebknossosError('ERR_WK_NOT_FOUND', `Layer "${this.name}" was deleted from "${this.dataset.path}" by another writer`)
    return entry
  }

  /**
   * Downsamples from `fromMag` (default: the coarsest mag) up to `maxMag` (default: about 100
   * voxels along x and y) on native threads. Resolves with the time spent per step and stage.
   */
  downsample(opts: DownsampleOptions = {}): Promise<SamplingTimings[]> {
    return runPlan(planDownsample(this, opts), opts)
  }

  /** Creates `targetMag` from `fromMag` in one step. */
  downsampleMag(opts: DownsampleMagOptions): Promise<SamplingTimings[]> {
    return runPlan(planDownsampleMag(this, opts), opts)
  }

  /** Creates each of `targetMags` from the previous one, starting at `fromMag`. */
  downsampleMagList(opts: DownsampleMagListOptions): Promise<SamplingTimings[]> {
    return runPlan(planDownsampleMagList(this, opts), opts)
  }

  /** Creates the finer mags from `fromMag` down to `minMag` (default 1) by nearest-neighbour replication. */
  upsample(opts: UpsampleOptions): Promise<SamplingTimings[]> {
    return runPlan(planUpsample(this, opts), opts)
  }

  /** What `downsample(opts)` would do, checked, without writing anything: a plan to inspect or run. */
  planDownsample(opts: DownsampleOptions = {}): Promise<SamplingPlan> {
    return planDownsample(this, opts)
  }

  /** What `upsample(opts)` would do, checked, without writing anything. */
  planUpsample(opts: UpsampleOptions): Promise<SamplingPlan> {
    return planUpsample(this, opts)
  }

  /**
   * @internal Brings the mags in line with the properties: opens mags new to them, drops mags
   * gone from them. A mag that cannot be opened is left out with a warning, and its entry stays.
   */
  async syncMags(): Promise<void> {
    const entries = magEntries(this.json)
    const names = new Set(entries.map((e) => e.mag.toLayerName()))
    for (const name of this.#mags.keys()) if (!names.has(name)) this.#mags.delete(name)
    const origin = { from: 'properties' as const, file: joinPath(this.dataset.path, PROPERTIES_FILE_NAME) }
    const ordered = new Map<string, MagView>()
    for (const entry of entries) {
      const name = entry.mag.toLayerName()
      let view = this.#mags.get(name)
      if (!view && !this.#unopened.has(name)) {
        // Without a stored path the directory is <layer>/<mag>, or <layer>/<x-y-z> as old datasets name it.
        const location: MagLocation | undefined =
          entry.path === undefined
            ? undefined
            : locateMag(entry.path, this.dataset.path, this.path, origin)
        try {
          if (entry.path !== undefined && isUrl(entry.path)) throw new WebknossosError('ERR_WK_INVALID_ARGUMENT', `its path ${entry.path} is a URL: remote mags are not supported yet`)
          const { at, array } = await this.#openMag(name, entry.mag, location)
          if (array.info.voxelType !== this.dtypePerChannel || array.info.numChannels !== this.numChannels) {
            throw new WebknossosError('ERR_WK_CORRUPT', `its array holds ${array.info.numChannels} × ${array.info.voxelType}, the layer ${this.numChannels} × ${this.dtypePerChannel}`)
          }
          view = new MagView(this, entry.mag, at, array)
        } catch (error) {
          this.#unopened.add(name)
          process.emitWarning(`Mag ${name} of layer "${this.name}" is left out: ${(error as Error).message}`, 'WebknossosWarning')
        }
      }
      if (view) ordered.set(name, view)
    }
    this.#mags.clear()
    for (const [name, view] of ordered) this.#mags.set(name, view)
  }

  /** Renames the layer and its directory. */
  async rename(newName: string): Promise<void> {
    await this.dataset.renameLayer(this, newName)
  }

  /** @internal Called by Dataset when the layer was renamed. */
  renamed(newName: string): void {
    this.#name = newName
  }

  /** Sets the layer's box (mag-1 voxels); the mags' sizes follow it. */
  async setBoundingBox(bbox: BoundingBox): Promise<void> {
    if (!(bbox instanceof BoundingBox)) throw invalidArgument(`setBoundingBox takes a BoundingBox, got ${String(bbox)}`)
    checkInCoordinates(bbox)
    await this.dataset.update((disk) => {
      this.#entryOn(disk).boundingBox = bbox.toWkw()
    })
  }

  /**
   * @internal The box the layer gets from a write of `written` (mag-1 voxels), checked, or
   * `undefined` when it already holds it. Called before the write, so that a box that cannot be
   * stored refuses the write before its first byte.
   */
  grownBoundingBox(written: BoundingBox): BoundingBox | undefined {
    checkInCoordinates(written)
    const grown = grownBoundingBox(this.boundingBox, written)
    return grown.equals(this.boundingBox) ? undefined : grown
  }

  /** @internal Grows the box on disk to hold `written`, merged with what other writers grew it to. */
  async growBoundingBox(written: BoundingBox): Promise<void> {
    await this.dataset.update((disk) => {
      const entry = this.#entryOn(disk)
      entry.boundingBox = grownBoundingBox(BoundingBox.fromWkw(entry.boundingBox), written).toWkw()
    })
  }

  async setDefaultViewConfiguration(configuration: LayerViewConfiguration | undefined): Promise<void> {
    await this.dataset.update((disk) => {
      const entry = this.#entryOn(disk)
      if (configuration === undefined) delete entry.defaultViewConfiguration
      else entry.defaultViewConfiguration = { ...configuration }
    })
  }

  /** @internal Changes this layer's entry of the properties (see `Dataset.update`). */
  async updateEntry(change: (entry: LayerJson) => void): Promise<void> {
    await this.dataset.update((disk) => change(this.#entryOn(disk)))
  }

  /** @internal The layer's properties entry, for copies of the layer. */
  get properties(): LayerJson {
    return this.json
  }

  /**
   * The array of mag `name`: at `location` when the properties give its path, else in
   * <layer>/<mag>, or in <layer>/<x-y-z> as old datasets name it. Each is tried in turn (a web
   * server cannot say whether a directory exists, only whether a file does).
   */
  async #openMag(name: string, mag: Mag, location: MagLocation | undefined): Promise<{ at: MagLocation; array: MagArray }> {
    const created = this.#created.get(name)
    const candidates: MagLocation[] = location
      ? [location]
      : [name, mag.toLongLayerName()].map((directory) => ({ directory: { name: directory, relativeTo: 'layer' as const }, owned: true }))
    for (const [i, at] of candidates.entries()) {
      try {
        return { at, array: created ?? (await MagArray.open(MagView.pathOf(this, at))) }
      } catch (error) {
        if (i === candidates.length - 1 || (error as WebknossosError).code !== 'ERR_WK_NOT_FOUND') throw error
      }
    }
    throw new Error('unreachable: the last candidate returns or throws')
  }

  toString(): string {
    return `Layer(${this.name}, dtypePerChannel=${this.dtypePerChannel}, numChannels=${this.numChannels})`
  }
}

/** A box must lie within the coordinates a dataset can hold. */
function checkInCoordinates(box: BoundingBox): void {
  if ([0, 1, 2].some((i) => box.bottomRight[i] > MAX_COORDINATE || box.topLeft[i] < -MAX_COORDINATE)) {
    throw invalidArgument(`${box} lies beyond 2^52, the largest coordinate of a dataset`)
  }
}
