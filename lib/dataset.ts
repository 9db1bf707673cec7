import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { BoundingBox } from './bounding-box'
import type { DType } from './dtype'
import { dtypePerLayerToPerChannel, fromElementClass, normalizeDtypePerChannel, toElementClass } from './element-class'
import { WebknossosError, invalidArgument } from './errors'
import { copyTree, exists, makeDirectory, makeSymlink, move, readText, remove, writeFileAtomically } from './files'
import { type AddMagOptions, Layer, checkName } from './layer'
import { type LongOp, checkLongOp, runNative } from './long-op'
import type { MagView } from './mag-view'
import { native, nativeCall } from './native'
import {
  type Category,
  type DatasetJson,
  type DatasetViewConfiguration,
  type LayerJson,
  PROPERTIES_FILE_NAME,
  magEntries,
  newDatasetJson,
  parseProperties,
  scaleOf,
  serializeProperties,
} from './properties'
import { SegmentationLayer } from './segmentation-layer'
import { type Vec3, formatVec3, vecEquals } from './vec3'
import { filesTouched } from './wkw'

export interface AddLayerOptions {
  /** Bits of all channels together, e.g. "uint24" for RGB; exclusive with dtypePerChannel. */
  dtypePerLayer?: string
  dtypePerChannel?: DType | 'float' | 'double'
  numChannels?: number
  /** Required for segmentation layers. */
  largestSegmentId?: number
  mappings?: string[]
}

export interface CopyDatasetOptions extends LongOp {
  scale?: Vec3
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

/** The per-channel dtype and channel count `addLayer` options stand for. */
function layerDtype(opts: AddLayerOptions): { dtype: DType; numChannels: number } {
  if ('dtype' in opts) throw invalidArgument('The "dtype" option is not supported: use dtypePerLayer or dtypePerChannel')
  const numChannels = opts.numChannels ?? 1
  if (!Number.isSafeInteger(numChannels) || numChannels < 1) throw invalidArgument(`numChannels must be a positive integer, but is ${numChannels}`)
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

/**
 * A WEBKNOSSOS dataset: a directory with `datasource-properties.json` and one directory per
 * layer. Every change to the properties is saved right away, atomically.
 */
export class Dataset {
  readonly #json: DatasetJson
  readonly #layers = new Map<string, Layer>()
  #saving: Promise<void> = Promise.resolve()

  private constructor(
    readonly path: string,
    json: DatasetJson,
  ) {
    this.#json = json
  }

  /** Creates a dataset in `path`, which must not exist or be an empty directory. */
  static async create(path: string, opts: { scale: Vec3; name?: string }): Promise<Dataset> {
    const scale = checkScale(opts?.scale)
    const name = opts.name ?? basename(resolve(path))
    if (typeof name !== 'string' || name === '') throw invalidArgument(`name must be a non-empty string, but is ${JSON.stringify(name)}`)
    const info = await stat(path).catch(() => undefined)
    if (info && (!info.isDirectory() || (await readdir(path)).length > 0)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Cannot create a dataset at "${path}": it exists and is not an empty directory`)
    }
    await makeDirectory(path)
    const dataset = new Dataset(path, newDatasetJson(name, scale))
    await dataset.save()
    return dataset
  }

  static async open(path: string): Promise<Dataset> {
    const file = join(path, PROPERTIES_FILE_NAME)
    if (!(await exists(file))) throw new WebknossosError('ERR_WK_NOT_FOUND', `No dataset at "${path}": "${file}" is missing`)
    const dataset = new Dataset(path, parseProperties(await readText(file), file))
    for (const json of dataset.#json.dataLayers) {
      if (json.dataFormat !== 'wkw') {
        process.emitWarning(`Layer "${json.name}" of "${path}" is left out: its dataFormat "${json.dataFormat}" is not WKW`, 'WebknossosWarning')
        continue
      }
      await dataset.#addLayerObject(json)
    }
    return dataset
  }

  /** Opens the dataset at `path` if it exists (with the same scale and name), else creates it. */
  static async getOrCreate(path: string, opts: { scale: Vec3; name?: string }): Promise<Dataset> {
    const scale = checkScale(opts?.scale)
    if (!(await exists(join(path, PROPERTIES_FILE_NAME)))) return Dataset.create(path, opts)
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
    checkName(name, 'The layer name')
    const { dtype, numChannels } = layerDtype(opts)
    if (this.#json.dataLayers.some((l) => l.name === name)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${name}" already exists in "${this.path}"`)
    }
    if (category !== 'color' && category !== 'segmentation') {
      throw invalidArgument(`The category must be "color" or "segmentation", but is ${JSON.stringify(category)}`)
    }
    const json: LayerJson = {
      name,
      category,
      boundingBox: { topLeft: [0, 0, 0], width: 0, height: 0, depth: 0 },
      elementClass: toElementClass(dtype, numChannels),
      ...(this.#json.dataLayers.some((l) => Array.isArray(l.mags)) ? { mags: [] } : { wkwResolutions: [] }),
      dataFormat: 'wkw',
      numChannels,
    }
    if (category === 'segmentation') {
      if (!Number.isSafeInteger(opts.largestSegmentId)) {
        throw invalidArgument(`A segmentation layer needs largestSegmentId (an integer), got ${JSON.stringify(opts.largestSegmentId)}`)
      }
      if (opts.largestSegmentId !== -1) json.largestSegmentId = opts.largestSegmentId
      if (opts.mappings?.length) json.mappings = [...opts.mappings]
    }
    await makeDirectory(join(this.path, name))
    this.#json.dataLayers.push(json)
    const layer = await this.#addLayerObject(json, dtype)
    await this.save()
    return layer
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
    return existing
  }

  async deleteLayer(name: string): Promise<void> {
    const layer = this.getLayer(name)
    this.#layers.delete(name)
    this.#json.dataLayers = this.#json.dataLayers.filter((l) => l.name !== name)
    await this.save()
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
    const given = layerOrPath instanceof Layer ? layerOrPath.path : resolve(layerOrPath)
    const source = await realpath(given).catch(() => {
      throw new WebknossosError('ERR_WK_NOT_FOUND', `No layer directory at "${given}"`)
    })
    const name = basename(source)
    if (this.#json.dataLayers.some((l) => l.name === name)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${name}" already exists in "${this.path}"`)
    }
    const foreign = (await Dataset.open(dirname(source))).getLayer(name)
    const json = structuredClone(foreign.properties)
    await place(source, join(this.path, name))
    this.#json.dataLayers.push(json)
    const layer = await this.#addLayerObject(json)
    await this.save()
    return layer
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
   * Copies every layer and mag into a new dataset at `newPath`. Each mag keeps the block and file
   * lengths and compression of its source unless they are given.
   */
  async copyDataset(newPath: string, opts: CopyDatasetOptions = {}): Promise<Dataset> {
    checkLongOp(opts)
    const target = await Dataset.create(newPath, { scale: opts.scale ?? this.scale })
    const steps: { source: MagView; target: MagView; box: BoundingBox }[] = []
    for (const layer of this.#layers.values()) {
      const json = structuredClone(layer.properties)
      delete json.mags
      json.wkwResolutions = []
      target.#json.dataLayers.push(json)
      const copy = await target.#addLayerObject(json, layer.dtypePerChannel)
      await makeDirectory(copy.path)
      for (const source of layer.mags.values()) {
        const magOptions: AddMagOptions = {
          blockLen: opts.blockLen ?? source.header.blockLen,
          fileLen: opts.fileLen ?? source.header.fileLen,
          compress: opts.compress ?? source.header.blockType !== 'raw',
        }
        const box = layer.boundingBox.alignWithMag(source.mag, { ceil: true }).inMag(source.mag)
        steps.push({ source, target: await copy.addMag(source.mag, magOptions), box })
      }
    }
    // addMag saves, but a layer without mags must be saved too.
    await target.save()
    const total = steps.reduce((n, s) => n + filesTouched(s.box, s.target.header), 0)
    let before = 0
    for (const { source, target: mag, box } of steps) {
      if (box.isEmpty()) continue
      const onProgress = (p: { done: number }) => opts.onProgress?.({ done: before + p.done, total })
      await runNative({ ...opts, onProgress }, (flag, report, jobs) =>
        native.wkwCopy(source.path, mag.path, [...box.topLeft], [...box.size], jobs, report, flag),
      )
      before += filesTouched(box, mag.header)
    }
    return target
  }

  async setName(name: string): Promise<void> {
    if (typeof name !== 'string' || name === '') throw invalidArgument(`name must be a non-empty string, but is ${JSON.stringify(name)}`)
    this.#json.id.name = name
    await this.save()
  }

  async setDefaultViewConfiguration(configuration: DatasetViewConfiguration | undefined): Promise<void> {
    if (configuration === undefined) delete this.#json.defaultViewConfiguration
    else this.#json.defaultViewConfiguration = { ...configuration }
    await this.save()
  }

  /** @internal Saves the properties; saves run one after the other, each writing the latest state. */
  save(): Promise<void> {
    const text = () => serializeProperties(this.#json)
    this.#saving = this.#saving.catch(() => {}).then(() => writeFileAtomically(join(this.path, PROPERTIES_FILE_NAME), text()))
    return this.#saving
  }

  /** @internal Moves a layer's directory and renames it in the properties (`apply`). */
  async renameLayer(layer: Layer, newName: string, apply: () => void): Promise<void> {
    if (this.#json.dataLayers.some((l) => l.name === newName)) {
      throw new WebknossosError('ERR_WK_ALREADY_EXISTS', `Layer "${newName}" already exists in "${this.path}"`)
    }
    await move(layer.path, join(this.path, newName))
    apply()
    const ordered = this.#json.dataLayers.flatMap((json) => [...this.#layers.values()].filter((l) => l.properties === json))
    this.#layers.clear()
    for (const l of ordered) this.#layers.set(l.name, l)
    await this.save()
  }

  async #addLayerObject(json: LayerJson, dtype?: DType): Promise<Layer> {
    if (json.numChannels === undefined) json.numChannels = await this.#inferNumChannels(json)
    let dtypePerChannel = dtype
    if (!dtypePerChannel) {
      try {
        dtypePerChannel = fromElementClass(json.elementClass, json.numChannels)
      } catch {
        throw new WebknossosError(
          'ERR_WK_CORRUPT',
          `Layer "${json.name}" of "${this.path}": elementClass "${json.elementClass}" does not fit ${json.numChannels} channel(s)`,
        )
      }
    }
    const layer = json.category === 'segmentation' ? new SegmentationLayer(this, json, dtypePerChannel) : new Layer(this, json, dtypePerChannel)
    await layer.openMags()
    this.#layers.set(json.name, layer)
    return layer
  }

  /**
   * Channels of a layer whose properties do not say: from the header of its first mag, as the
   * reference does; without a readable header, 3 for "uint24" and 1 otherwise, as the server does.
   */
  async #inferNumChannels(json: LayerJson): Promise<number> {
    const first = magEntries(json)[0]
    if (first) {
      const dir = first.path ? join(this.path, first.path) : join(this.path, json.name, first.mag.toLayerName())
      try {
        return (await nativeCall(() => native.wkwOpen(dir))).numChannels
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
