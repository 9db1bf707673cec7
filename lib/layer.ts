import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { BoundingBox } from './bounding-box'
import type { Dataset } from './dataset'
import type { DType } from './dtype'
import {
  type DownsampleMagListOptions,
  type DownsampleMagOptions,
  type DownsampleOptions,
  type SamplingTimings,
  type UpsampleOptions,
  downsample,
  downsampleMag,
  downsampleMagList,
  upsample,
} from './downsampling'
import { dtypePerChannelToPerLayer } from './element-class'
import { WebknossosError, invalidArgument } from './errors'
import { copyTree, exists, makeSymlink, remove } from './files'
import { Mag, type MagLike, toMag } from './mag'
import { type MagDirectory, MagView, magDirectoryPath } from './mag-view'
import { native, nativeCall } from './native'
import { type Category, type LayerJson, type LayerViewConfiguration, addMagEntry, magEntries, removeMagEntry, renameMagPaths } from './properties'
import { type WkwHeader, toHeader } from './wkw'

export interface AddMagOptions {
  /** Voxels per block edge (default 32). */
  blockLen?: number
  /** Blocks per file edge (default 32). */
  fileLen?: number
  /** LZ4HC blocks instead of raw ones (default false). */
  compress?: boolean
}

/** Layer and mag names become directory names. */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '' || /[/\\\0]/.test(name) || name.startsWith('.')) {
    throw invalidArgument(`${what} must be a non-empty name without "/" that does not start with ".", but is ${JSON.stringify(name)}`)
  }
  return name
}

/** One layer of a dataset: its properties entry, its directory and its mags. */
export class Layer {
  readonly #mags = new Map<string, MagView>()

  /** @internal Built by Dataset from the layer's properties entry, which it edits in place. */
  constructor(
    readonly dataset: Dataset,
    protected readonly json: LayerJson,
    readonly dtypePerChannel: DType,
  ) {}

  get name(): string {
    return this.json.name
  }

  get path(): string {
    return join(this.dataset.path, this.name)
  }

  get category(): Category {
    return 'color'
  }

  get numChannels(): number {
    return this.json.numChannels ?? 1
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

  /** Creates `<layer>/<mag>` with its `header.wkw` and registers it in the properties. */
  async addMag(mag: MagLike, opts: AddMagOptions = {}): Promise<MagView> {
    const m = toMag(mag)
    this.#checkNew(m)
    const header = await nativeCall(() =>
      native.wkwCreate(join(this.path, m.toLayerName()), {
        version: 1,
        blockLen: opts.blockLen ?? 32,
        fileLen: opts.fileLen ?? 32,
        blockType: opts.compress ? 'lz4hc' : 'raw',
        voxelType: this.dtypePerChannel,
        numChannels: this.numChannels,
      }),
    )
    return this.#register(m, { name: m.toLayerName(), relativeTo: 'layer' }, toHeader(header))
  }

  /** The existing mag if its block and file lengths and compression match; otherwise a new one. */
  async getOrAddMag(mag: MagLike, opts: AddMagOptions = {}): Promise<MagView> {
    const key = toMag(mag).toLayerName()
    const existing = this.#mags.get(key)
    if (!existing) return this.addMag(mag, opts)
    const wanted = { blockLen: opts.blockLen ?? 32, fileLen: opts.fileLen ?? 32, blockType: opts.compress ? 'lz4hc' : 'raw' }
    const { blockLen, fileLen, blockType } = existing.header
    if (blockLen !== wanted.blockLen || fileLen !== wanted.fileLen || blockType !== wanted.blockType) {
      throw new WebknossosError(
        'ERR_WK_MISMATCH',
        `Mag ${key} of layer "${this.name}" has blockLen ${blockLen}, fileLen ${fileLen}, ${blockType} blocks; ` +
          `asked for blockLen ${wanted.blockLen}, fileLen ${wanted.fileLen}, ${wanted.blockType} blocks`,
      )
    }
    return existing
  }

  async deleteMag(mag: MagLike): Promise<void> {
    const view = this.getMag(mag)
    this.#mags.delete(view.name)
    removeMagEntry(this.json, view.mag)
    await this.dataset.save()
    await remove(view.path)
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
    const source = await realpath(resolve(foreignMagPath)).catch(() => {
      throw new WebknossosError('ERR_WK_NOT_FOUND', `No mag directory at "${foreignMagPath}"`)
    })
    const mag = new Mag(basename(source))
    this.#checkNew(mag)
    const { Dataset } = await import('./dataset')
    const foreignLayer = (await Dataset.open(dirname(dirname(source)))).getLayer(basename(dirname(source)))
    const header = foreignLayer.getMag(mag).header
    if (header.voxelType !== this.dtypePerChannel || header.numChannels !== this.numChannels) {
      throw invalidArgument(
        `Mag "${source}" holds ${header.numChannels} × ${header.voxelType}, layer "${this.name}" ${this.numChannels} × ${this.dtypePerChannel}`,
      )
    }
    await place(source, join(this.path, mag.toLayerName()))
    this.json.boundingBox = this.boundingBox.extendedBy(foreignLayer.boundingBox).toWkw()
    return this.#register(mag, { name: mag.toLayerName(), relativeTo: 'layer' }, header)
  }

  #checkNew(mag: Mag): void {
    if (this.#mags.has(mag.toLayerName()) || magEntries(this.json).some((e) => e.mag.equals(mag))) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Mag ${mag} already exists in layer "${this.name}"`)
    }
  }

  /** @internal Registers a mag whose directory was made by downsampling or upsampling. */
  async registerMag(mag: Mag, header: WkwHeader): Promise<MagView> {
    return this.#register(mag, { name: mag.toLayerName(), relativeTo: 'layer' }, header)
  }

  /**
   * Downsamples from `fromMag` (default: the coarsest mag) up to `maxMag` (default: about 100
   * voxels along x and y) on native threads. Resolves with the time spent per step and stage.
   */
  downsample(opts?: DownsampleOptions): Promise<SamplingTimings[]> {
    return downsample(this, opts)
  }

  /** Creates `targetMag` from `fromMag` in one step. */
  downsampleMag(opts: DownsampleMagOptions): Promise<SamplingTimings[]> {
    return downsampleMag(this, opts)
  }

  /** Creates each of `targetMags` from the previous one, starting at `fromMag`. */
  downsampleMagList(opts: DownsampleMagListOptions): Promise<SamplingTimings[]> {
    return downsampleMagList(this, opts)
  }

  /** Creates the finer mags from `fromMag` down to `minMag` (default 1) by nearest-neighbour replication. */
  upsample(opts: UpsampleOptions): Promise<SamplingTimings[]> {
    return upsample(this, opts)
  }

  async #register(mag: Mag, directory: MagDirectory, header: WkwHeader): Promise<MagView> {
    addMagEntry(this.json, mag, header.blockLen * header.fileLen)
    const view = new MagView(this, mag, directory, header)
    this.#mags.set(view.name, view)
    await this.dataset.save()
    return view
  }

  /** @internal Opens every mag of the properties; a mag that cannot be opened is left out with a warning. */
  async openMags(): Promise<void> {
    for (const entry of magEntries(this.json)) {
      const name = entry.mag.toLayerName()
      const directory = entry.path
        ? this.#storedDirectory(entry.path)
        : { name: (await exists(join(this.path, name))) ? name : entry.mag.toLongLayerName(), relativeTo: 'layer' as const }
      const path = magDirectoryPath(this, directory)
      try {
        this.#mags.set(name, new MagView(this, entry.mag, directory, toHeader(await nativeCall(() => native.wkwOpen(path)))))
      } catch (error) {
        process.emitWarning(`Mag ${name} of layer "${this.name}" is left out: ${(error as Error).message}`, 'WebknossosWarning')
      }
    }
  }

  /**
   * The directory of a stored mag `path` (relative to the dataset, or absolute): one inside this
   * layer's directory is kept relative to the layer, so that its MagView follows renames.
   */
  #storedDirectory(stored: string): MagDirectory {
    if (isAbsolute(stored)) return { name: stored, relativeTo: 'dataset' }
    const inLayer = relative(this.path, join(this.dataset.path, stored))
    return inLayer !== '' && !isAbsolute(inLayer) && inLayer.split(sep)[0] !== '..'
      ? { name: inLayer, relativeTo: 'layer' }
      : { name: stored, relativeTo: 'dataset' }
  }

  /** Renames the layer and its directory. */
  async rename(newName: string): Promise<void> {
    await this.dataset.renameLayer(this, checkName(newName, 'The layer name'), () => {
      const oldName = this.json.name
      this.json.name = newName
      renameMagPaths(this.json, oldName)
    })
  }

  /** Sets the layer's box (mag-1 voxels); the mags' sizes follow it. */
  async setBoundingBox(bbox: BoundingBox): Promise<void> {
    if (!(bbox instanceof BoundingBox)) throw invalidArgument(`setBoundingBox takes a BoundingBox, got ${String(bbox)}`)
    this.json.boundingBox = bbox.toWkw()
    await this.dataset.save()
  }

  async setDefaultViewConfiguration(configuration: LayerViewConfiguration | undefined): Promise<void> {
    if (configuration === undefined) delete this.json.defaultViewConfiguration
    else this.json.defaultViewConfiguration = { ...configuration }
    await this.dataset.save()
  }

  /** @internal The layer's properties entry, for copies of the layer. */
  get properties(): LayerJson {
    return this.json
  }

  toString(): string {
    return `Layer(${this.name}, dtypePerChannel=${this.dtypePerChannel}, numChannels=${this.numChannels})`
  }
}
