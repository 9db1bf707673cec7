import { readdir, realpath, stat } from 'node:fs/promises'
import { relative } from 'node:path'
import { WebknossosError, invalidArgument } from '../errors'
import { type MagLike, toMag } from '../geometry/mag'
import { type Vec3, formatVec3, vecEquals } from '../geometry/vec3'
import { copyMag } from '../execution/copy-mag'
import { type ImportImagesOptions, addLayerFromImages } from '../images/import-images'
import type { Distributable } from '../execution/executor'
import { LocalExecutor } from '../execution/local-executor'
import { finishStep } from '../execution/step'
import { type LongOp, checkLongOp } from '../native/long-op'
import { withDirectoryLock } from '../storage/directory-lock'
import type { DType } from '../storage/dtype'
import { copyTree, exists, makeDirectory, makeSymlink, move, readText, remove, writeFileAtomically } from '../storage/files'
import { DATA_FORMATS, type DataFormat } from '../storage/mag-array'
import { dtypePerLayerToPerChannel, fromElementClass, normalizeDtypePerChannel, toElementClass } from './element-class'
import { type AddMagOptions, Layer, createMagArray } from './layer'
import { checkLayerName } from './paths'
import {
  type Category,
  type DatasetJson,
  type DatasetViewConfiguration,
  type LayerJson,
  PROPERTIES_FILE_NAME,
  magEntries,
  newDatasetJson,
  newLayerJson,
  parseProperties,
  renameMagPaths,
  scaleOf,
  serializeProperties,
} from './properties'
import { SegmentationLayer } from './segmentation-layer'
import { writeZarrMetadata } from './zarr-metadata'
import { type StorageOptions, baseName, configureStorage, dirName, isRemote, isWritable, joinPath, normalizeLocation, resolvePath } from '../storage/location'

export interface AddLayerOptions {
  /** Bits of all channels together, e.g. "uint24" for RGB; exclusive with dtypePerChannel. */
  dtypePerLayer?: string
  dtypePerChannel?: DType | 'float' | 'double'
  numChannels?: number
  /** Required for segmentation layers. */
  largestSegmentId?: number
  mappings?: string[]
  /** How the layer's mags are stored; default "wkw". */
  dataFormat?: DataFormat
}

export interface CopyDatasetOptions extends LongOp, Distributable, LocationOptions {
  scale?: Vec3
  /** The layers to copy (default: all). */
  layers?: string[]
  /** The mags to copy of each copied layer, which must have them (default: all). */
  mags?: MagLike[]
  /** The format of every layer of the copy; by default each keeps its own. */
  dataFormat?: DataFormat
  chunkShape?: Vec3 | number
  shardShape?: Vec3 | number
  blockLen?: number
  fileLen?: number
  compress?: boolean
}

function checkScale(scale: unknown): Vec3 {
  const v = Array.isArray(scale) && scale.length === 3 ? scale : []
  if (!v.every((c) => typeof c === 'number' && Number.isFinite(c) && c > 0) || v.length !== 3) {
    throw invalidArgument(`scale must be three positive numbers (nm per voxel), but is ${JSON.stringify(scale)}`)
  }
  return v as unknown as Vec3
}

export function checkDataFormat(value: unknown): DataFormat {
  if (!DATA_FORMATS.includes(value as DataFormat)) {
    throw invalidArgument(`dataFormat must be one of ${DATA_FORMATS.join(', ')}, but is ${JSON.stringify(value)}`)
  }
  return value as DataFormat
}

/** The per-channel dtype and channel count `addLayer` options stand for. */
function layerDtype(opts: AddLayerOptions): { dtype: DType; numChannels: number } {
  if ('dtype' in opts) throw invalidArgument('The "dtype" option is not supported: use dtypePerLayer or dtypePerChannel')
  const numChannels = opts.numChannels ?? 1
  if (!Number.isSafeInteger(numChannels) || numChannels < 1 || numChannels > 255) {
    throw invalidArgument(`numChannels must be an integer from 1 to 255, but is ${numChannels}`)
  }
  if (opts.dtypePerLayer !== undefined && opts.dtypePerChannel !== undefined) {
    throw invalidArgument('Give either dtypePerLayer or dtypePerChannel, not both')
  }
  const dtype =
    opts.dtypePerChannel !== undefined
      ? normalizeDtypePerChannel(opts.dtypePerChannel)
      : opts.dtypePerLayer !== undefined
        ? dtypePerLayerToPerChannel(opts.dtypePerLayer, numChannels)
        : 'uint8'
  return { dtype, numChannels }
}

/** Endpoint and credentials of an S3 location; unset fields come from the AWS variables. */
export interface LocationOptions {
  storage?: StorageOptions
}

/** The location as the dataset keeps it, with its storage options configured. */
function openLocation(location: string, opts: LocationOptions): string {
  if (typeof location !== 'string' || location === '') throw invalidArgument(`A dataset location must be a non-empty string, but is ${JSON.stringify(location)}`)
  const path = normalizeLocation(location)
  configureStorage(path, opts?.storage)
  return path
}

/**
 * A WEBKNOSSOS dataset: a directory with `datasource-properties.json` and one directory per
 * layer. Every change to the properties is saved right away: under the dataset's lock, the file
 * is read again, this change is applied to what is on disk, and the result replaces the file
 * atomically. Concurrent changes from other objects and processes are therefore never lost;
 * this object then holds the merged state. At an `s3://` URL the lock is this process's alone:
 * an object store has none to share.
 */
export class Dataset {
  #json: DatasetJson
  readonly #layers = new Map<string, Layer>()

  private constructor(
    readonly path: string,
    json: DatasetJson,
  ) {
    this.#json = json
  }

  get #propertiesPath(): string {
    return joinPath(this.path, PROPERTIES_FILE_NAME)
  }

  /**
   * Creates a dataset in `path`, which must not exist or be an empty directory; or at an
   * `s3://` URL without a dataset.
   */
  static async create(location: string, opts: { scale: Vec3; name?: string } & LocationOptions): Promise<Dataset> {
    const path = openLocation(location, opts)
    const scale = checkScale(opts?.scale)
    const name = opts.name ?? baseName(resolvePath(path))
    if (typeof name !== 'string' || name === '') throw invalidArgument(`name must be a non-empty string, but is ${JSON.stringify(name)}`)
    if (!isWritable(path)) throw new WebknossosError('ERR_WK_READ_ONLY', `Cannot create a dataset at "${path}": web servers are read-only`)
    const info = isRemote(path) ? undefined : await stat(path).catch(() => undefined)
    if (info && (!info.isDirectory() || (await readdir(path)).length > 0)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Cannot create a dataset at "${path}": it exists and is not an empty directory`)
    }
    await makeDirectory(path)
    const dataset = new Dataset(path, newDatasetJson(name, scale))
    await withDirectoryLock(path, async () => {
      if (await exists(dataset.#propertiesPath)) {
        throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Cannot create a dataset at "${path}": another writer created one`)
      }
      await writeFileAtomically(dataset.#propertiesPath, serializeProperties(dataset.#json))
    })
    return dataset
  }

  /** Opens the dataset at a path, an `s3://` URL or an `http(s)://` URL (read-only). */
  static async open(location: string, opts: LocationOptions = {}): Promise<Dataset> {
    const path = openLocation(location, opts)
    const dataset = new Dataset(path, await Dataset.#read(path))
    await dataset.#adopt(dataset.#json)
    return dataset
  }

  static async #read(path: string): Promise<DatasetJson> {
    const file = joinPath(path, PROPERTIES_FILE_NAME)
    if (!(await exists(file))) throw new WebknossosError('ERR_WK_NOT_FOUND', `No dataset at "${path}": "${file}" is missing`)
    return parseProperties(await readText(file), file)
  }

  /** Opens the dataset at `path` if it exists (with the same scale and name), else creates it. */
  static async getOrCreate(location: string, opts: { scale: Vec3; name?: string } & LocationOptions): Promise<Dataset> {
    const path = openLocation(location, opts)
    const scale = checkScale(opts?.scale)
    if (!(await exists(joinPath(path, PROPERTIES_FILE_NAME)))) return Dataset.create(path, opts)
    const dataset = await Dataset.open(path)
    if (!vecEquals(dataset.scale, scale)) {
      throw new WebknossosError('ERR_WK_MISMATCH', `Dataset "${path}" has scale ${formatVec3(dataset.scale)}, not ${formatVec3(scale)}`)
    }
    if (opts.name !== undefined && opts.name !== dataset.name) {
      throw new WebknossosError('ERR_WK_MISMATCH', `Dataset "${path}" is named "${dataset.name}", not "${opts.name}"`)
    }
    return dataset
  }

  get name(): string {
    return this.#json.id.name
  }

  /** Voxel size in nanometres. */
  get scale(): Vec3 {
    return scaleOf(this.#json)
  }

  /** The layers in properties order. */
  get layers(): ReadonlyMap<string, Layer> {
    return this.#layers
  }

  get defaultViewConfiguration(): DatasetViewConfiguration | undefined {
    return this.#json.defaultViewConfiguration
  }

  getLayer(name: string): Layer {
    const layer = this.#layers.get(name)
    if (!layer) {
      throw new WebknossosError('ERR_WK_NOT_FOUND', `Layer "${name}" is not a layer of "${this.path}" (layers: ${[...this.#layers.keys()].join(', ') || 'none'})`)
    }
    return layer
  }

  /** Adds a layer (and its directory); a segmentation layer needs `largestSegmentId`. */
  async addLayer(name: string, category: Category, opts: AddLayerOptions = {}): Promise<Layer> {
    checkLayerName(name)
    const { dtype, numChannels } = layerDtype(opts)
    if (category !== 'color' && category !== 'segmentation') {
      throw invalidArgument(`The category must be "color" or "segmentation", but is ${JSON.stringify(category)}`)
    }
    const dataFormat = checkDataFormat(opts.dataFormat ?? 'wkw')
    if (this.#json.dataLayers.some((l) => l.name === name)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${name}" already exists in "${this.path}"`)
    }
    const json = newLayerJson(this.#json, name, category, toElementClass(dtype, numChannels), numChannels, dataFormat)
    if (category === 'segmentation') {
      if (!Number.isSafeInteger(opts.largestSegmentId)) {
        throw invalidArgument(`A segmentation layer needs largestSegmentId (an integer), got ${JSON.stringify(opts.largestSegmentId)}`)
      }
      if (opts.largestSegmentId !== -1) json.largestSegmentId = opts.largestSegmentId
      if (opts.mappings?.length) json.mappings = [...opts.mappings]
    }
    // A directory left by an addLayer that was killed before it saved is simply reused.
    await makeDirectory(joinPath(this.path, name))
    await this.update((disk) => {
      if (disk.dataLayers.some((l) => l.name === name)) {
        throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${name}" already exists in "${this.path}"`)
      }
      disk.dataLayers.push(json)
    })
    return this.getLayer(name)
  }

  /**
   * Adds layer `name` from a folder of 2D slices (TIFF, PNG, JPEG), slice k at z = k, written
   * uncompressed at mag 1; see `addLayerFromImages`.
   */
  async addLayerFromImages(imageDir: string, name: string, opts: ImportImagesOptions = {}): Promise<Layer> {
    return addLayerFromImages(this, imageDir, name, opts)
  }

  /** The existing layer if its category, dtype and channels match; otherwise a new one. */
  async getOrAddLayer(name: string, category: Category, opts: AddLayerOptions = {}): Promise<Layer> {
    const existing = this.#layers.get(name)
    if (!existing) return this.addLayer(name, category, opts)
    const mismatch = (what: string) => new WebknossosError('ERR_WK_MISMATCH', `Layer "${name}" of "${this.path}" exists with ${what}`)
    if (opts.numChannels !== undefined && opts.numChannels !== existing.numChannels) throw mismatch(`${existing.numChannels} channel(s)`)
    if (category !== existing.category) throw mismatch(`category ${existing.category}`)
    const { dtype } = layerDtype({ ...opts, numChannels: opts.numChannels ?? existing.numChannels })
    if ((opts.dtypePerChannel !== undefined || opts.dtypePerLayer !== undefined) && dtype !== existing.dtypePerChannel) {
      throw mismatch(`dtypePerChannel ${existing.dtypePerChannel}`)
    }
    if (opts.dataFormat !== undefined && opts.dataFormat !== existing.dataFormat) throw mismatch(`dataFormat ${existing.dataFormat}`)
    return existing
  }

  /** Deletes the layer's entry and its directory (a symlinked layer loses the link, never its target). */
  async deleteLayer(name: string): Promise<void> {
    const layer = this.getLayer(name)
    await this.update((disk) => {
      disk.dataLayers = disk.dataLayers.filter((l) => l.name !== name)
    })
    await remove(layer.path)
  }

  /** Links a layer directory of another dataset into this one, with a copy of its properties. */
  async addSymlinkLayer(layerOrPath: Layer | string, opts: { makeRelative?: boolean } = {}): Promise<Layer> {
    return this.#addForeignLayer(layerOrPath, (source, target) => makeSymlink(opts.makeRelative ? relative(this.path, source) : source, target))
  }

  /** Copies a layer directory of another dataset into this one, with its properties. */
  async addCopyLayer(layerOrPath: Layer | string): Promise<Layer> {
    return this.#addForeignLayer(layerOrPath, copyTree)
  }

  async #addForeignLayer(layerOrPath: Layer | string, place: (source: string, target: string) => Promise<void>): Promise<Layer> {
    const given = layerOrPath instanceof Layer ? layerOrPath.path : resolvePath(layerOrPath)
    const source = await realpath(given).catch(() => {
      throw new WebknossosError('ERR_WK_NOT_FOUND', `No layer directory at "${given}"`)
    })
    const name = checkLayerName(baseName(source))
    if (this.#json.dataLayers.some((l) => l.name === name)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${name}" already exists in "${this.path}"`)
    }
    const foreign = (await Dataset.open(dirName(source))).getLayer(name)
    const json = structuredClone(foreign.properties)
    await place(source, joinPath(this.path, name))
    await this.update((disk) => {
      if (disk.dataLayers.some((l) => l.name === name)) {
        throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${name}" already exists in "${this.path}"`)
      }
      disk.dataLayers.push(json)
    })
    return this.getLayer(name)
  }

  /** The only color layer: ERR_WK_NOT_FOUND without one, ERR_WK_INVALID_ARGUMENT with several. */
  getColorLayer(): Layer {
    return this.#onlyLayer('color')
  }

  /** The only segmentation layer: ERR_WK_NOT_FOUND without one, ERR_WK_INVALID_ARGUMENT with several. */
  getSegmentationLayer(): SegmentationLayer {
    return this.#onlyLayer('segmentation') as SegmentationLayer
  }

  #onlyLayer(category: Category): Layer {
    const found = [...this.#layers.values()].filter((l) => l.category === category)
    if (found.length === 0) throw new WebknossosError('ERR_WK_NOT_FOUND', `Dataset "${this.path}" has no ${category} layer`)
    if (found.length > 1) {
      throw invalidArgument(`Dataset "${this.path}" has ${found.length} ${category} layers (${found.map((l) => l.name).join(', ')}); use getLayer(name)`)
    }
    return found[0]
  }

  /**
   * Copies every layer and mag into a new dataset at `newPath`, converting them to `dataFormat`
   * if given. A mag that keeps its format keeps its chunk and shard shapes and compression
   * unless they are given; one that changes format gets that format's defaults.
   */
  async copyDataset(newPath: string, opts: CopyDatasetOptions = {}): Promise<Dataset> {
    checkLongOp(opts)
    const dataFormat = opts.dataFormat === undefined ? undefined : checkDataFormat(opts.dataFormat)
    const layers = (opts.layers ?? [...this.#layers.keys()]).map((name) => this.getLayer(name))
    const wanted = opts.mags?.map((m) => toMag(m).toLayerName())
    // Every layer copied must have every mag asked for: checked before anything is written.
    for (const layer of layers) for (const name of wanted ?? []) layer.getMag(name)
    const target = await Dataset.create(newPath, { scale: opts.scale ?? this.scale, storage: opts.storage })
    const steps: { layer: Layer; mag: string; options: AddMagOptions }[] = []
    for (const layer of layers) {
      const format = dataFormat ?? layer.dataFormat
      const fresh = newLayerJson(target.#json, layer.name, layer.category, layer.properties.elementClass, layer.numChannels, format)
      // Every key of the source layer is kept but its mags, which the copies register anew.
      const json: LayerJson = { ...structuredClone(layer.properties), dataFormat: format }
      delete json.mags
      delete json.wkwResolutions
      if (fresh.mags) json.mags = []
      if (fresh.wkwResolutions) json.wkwResolutions = []
      await makeDirectory(joinPath(target.path, layer.name))
      await target.update((disk) => {
        disk.dataLayers.push(json)
      })
      for (const source of layer.mags.values()) {
        if (wanted && !wanted.includes(source.name)) continue
        const sameFormat = format === source.info.dataFormat
        steps.push({
          layer,
          mag: source.name,
          options: {
            chunkShape: opts.chunkShape ?? (opts.blockLen === undefined && sameFormat ? source.info.chunkShape : undefined),
            shardShape: opts.shardShape ?? (opts.fileLen === undefined && sameFormat ? source.info.shardShape : undefined),
            blockLen: opts.blockLen,
            fileLen: opts.fileLen,
            compress: opts.compress ?? (sameFormat ? source.info.compression !== 'none' : undefined),
          },
        })
      }
    }
    // Each mag is registered once its data is complete, so that the copy's properties never
    // name a mag that is still being written.
    const copies = []
    for (const { layer, mag, options } of steps) {
      const source = layer.getMag(mag)
      const into = target.getLayer(layer.name)
      const array = await createMagArray(joinPath(into.path, mag), into.magSpec(options), true)
      const box = layer.boundingBox.alignWithMag(source.mag, { ceil: true }).inMag(source.mag)
      copies.push({ source, into, array, box, shards: box.isEmpty() ? [] : await source.array.copyTargets(array, box) })
    }
    const executor = opts.executor ?? new LocalExecutor({ jobs: opts.jobs })
    const total = copies.reduce((n, c) => n + c.shards.length, 0)
    let before = 0
    for (const { source, into, array, box, shards } of copies) {
      const offset = before
      const onProgress = (p: { done: number }) => opts.onProgress?.({ done: offset + p.done, total })
      const copy = { source: source.array, target: array, sourceMag: source.name, targetMag: source.name, box, dataset: this.path, layer: source.layer.name }
      await copyMag(copy, shards, { executor, signal: opts.signal, onProgress })
      await into.register(source.mag, array)
      await finishStep(array)
      before += shards.length
    }
    return target
  }

  async setName(name: string): Promise<void> {
    if (typeof name !== 'string' || name === '') throw invalidArgument(`name must be a non-empty string, but is ${JSON.stringify(name)}`)
    await this.update((disk) => {
      disk.id.name = name
    })
  }

  async setDefaultViewConfiguration(configuration: DatasetViewConfiguration | undefined): Promise<void> {
    await this.update((disk) => {
      if (configuration === undefined) delete disk.defaultViewConfiguration
      else disk.defaultViewConfiguration = { ...configuration }
    })
  }

  /**
   * @internal Changes the properties: under the dataset's lock, reads the file again, applies
   * `change` to it, replaces the file atomically and durably, and adopts the result. `change`
   * may throw to refuse (nothing is written then).
   */
  async update(change: (json: DatasetJson) => void): Promise<void> {
    await withDirectoryLock(this.path, async () => {
      const disk = (await exists(this.#propertiesPath)) ? await Dataset.#read(this.path) : structuredClone(this.#json)
      change(disk)
      // What this object inferred of a layer (its channels, from its first mag) is saved with it.
      for (const entry of disk.dataLayers) entry.numChannels ??= this.#layers.get(entry.name)?.numChannels
      await writeFileAtomically(this.#propertiesPath, serializeProperties(disk))
      await writeZarrMetadata(this.path, disk)
      await this.#adopt(disk)
    })
  }

  /** @internal The properties entry of layer `name`, as this object last saw them. */
  layerJson(name: string): LayerJson {
    const json = this.#json.dataLayers.find((l) => l.name === name)
    if (!json) throw new WebknossosError('ERR_WK_NOT_FOUND', `Layer "${name}" is no longer in the properties of "${this.path}"`)
    return json
  }

  /** @internal Moves a layer's directory and renames it in the properties. */
  async renameLayer(layer: Layer, newName: string): Promise<void> {
    checkLayerName(newName)
    const oldName = layer.name
    if (this.#json.dataLayers.some((l) => l.name === newName)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${newName}" already exists in "${this.path}"`)
    }
    await withDirectoryLock(this.path, async () => {
      const disk = await Dataset.#read(this.path)
      const json = disk.dataLayers.find((l) => l.name === oldName)
      if (!json) throw new WebknossosError('ERR_WK_NOT_FOUND', `Layer "${oldName}" is no longer in the properties of "${this.path}"`)
      if (disk.dataLayers.some((l) => l.name === newName)) {
        throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${newName}" already exists in "${this.path}"`)
      }
      await move(joinPath(this.path, oldName), joinPath(this.path, newName))
      json.name = newName
      renameMagPaths(json, oldName)
      this.#layers.delete(oldName)
      layer.renamed(newName)
      this.#layers.set(newName, layer)
      await writeFileAtomically(this.#propertiesPath, serializeProperties(disk))
      await writeZarrMetadata(this.path, disk)
      await this.#adopt(disk)
    })
  }

  /**
   * Makes `json` this object's state: layers new on disk are opened, layers gone from it are
   * dropped, and every layer opens the mags it does not have yet; properties order is kept.
   */
  async #adopt(json: DatasetJson): Promise<void> {
    this.#json = json
    const layers = new Map<string, Layer>()
    for (const layerJson of json.dataLayers) {
      const layer = this.#layers.get(layerJson.name) ?? (await this.#layerObject(layerJson))
      if (!layer) continue
      await layer.syncMags()
      layers.set(layerJson.name, layer)
    }
    this.#layers.clear()
    for (const [name, layer] of layers) this.#layers.set(name, layer)
  }

  /** The object of a layer entry; a layer of a format this library does not read is left out with a warning (and kept in the properties). */
  async #layerObject(json: LayerJson): Promise<Layer | undefined> {
    if (!DATA_FORMATS.includes(json.dataFormat as DataFormat)) {
      process.emitWarning(`Layer "${json.name}" of "${this.path}" is left out: its dataFormat "${json.dataFormat}" is not supported`, 'WebknossosWarning')
      return undefined
    }
    if (json.numChannels === undefined) json.numChannels = await this.#inferNumChannels(json)
    let dtypePerChannel: DType
    try {
      dtypePerChannel = fromElementClass(json.elementClass, json.numChannels)
    } catch {
      throw new WebknossosError(
        'ERR_WK_CORRUPT',
        `Layer "${json.name}" of "${this.path}": elementClass "${json.elementClass}" does not fit ${json.numChannels} channel(s)`,
      )
    }
    return json.category === 'segmentation' ? new SegmentationLayer(this, json.name, dtypePerChannel) : new Layer(this, json.name, dtypePerChannel)
  }

  /**
   * Channels of a layer whose properties do not say: from the array of its first mag, as the
   * reference does; without a readable one, 3 for "uint24" and 1 otherwise, as the server does.
   */
  async #inferNumChannels(json: LayerJson): Promise<number> {
    const first = magEntries(json)[0]
    if (first) {
      const dir = first.path ? joinPath(this.path, first.path) : joinPath(this.path, json.name, first.mag.toLayerName())
      try {
        const { MagArray } = await import('../storage/mag-array')
        return (await MagArray.open(dir)).info.numChannels
      } catch {
        // Fall through to the rule of the server.
      }
    }
    return json.elementClass === 'uint24' ? 3 : 1
  }

  toString(): string {
    return `Dataset(${this.path})`
  }
}
