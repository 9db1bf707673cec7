// datasource-properties.json: reading every form the Python library and the WEBKNOSSOS server
// write, and changing it in place so that keys this library does not know survive a save.
import { WebknossosError } from '../errors'
import { Mag } from '../geometry/mag'
import type { Vec3 } from '../geometry/vec3'
import type { ArrayInfo, DataFormat } from '../storage/mag-array'
import { checkLayerName } from './paths'

export const PROPERTIES_FILE_NAME = 'datasource-properties.json'

export interface BoundingBoxJson {
  topLeft: [number, number, number]
  width: number
  height: number
  depth: number
}

/** A mag in the legacy form every server reads; `resolution` may be an integer (n-n-n). */
export interface WkwResolutionJson {
  resolution: number | number[]
  cubeLength: number
  [key: string]: unknown
}

/** A mag in the form today's Python library writes. */
export interface MagLocatorJson {
  mag: number | number[]
  path?: string
  cubeLength?: number
  [key: string]: unknown
}

export interface DatasetViewConfiguration {
  fourBit?: boolean
  interpolation?: boolean
  renderMissingDataBlack?: boolean
  loadingStrategy?: string
  segmentationPatternOpacity?: number
  zoom?: number
  position?: Vec3
  rotation?: Vec3
  [key: string]: unknown
}

export interface LayerViewConfiguration {
  color?: Vec3
  alpha?: number
  intensityRange?: readonly [number, number]
  min?: number
  max?: number
  isDisabled?: boolean
  isInverted?: boolean
  isInEditMode?: boolean
  [key: string]: unknown
}

export type Category = 'color' | 'segmentation'

export interface LayerJson {
  name: string
  category: Category
  boundingBox: BoundingBoxJson
  elementClass: string
  wkwResolutions?: WkwResolutionJson[]
  mags?: MagLocatorJson[]
  dataFormat: string
  numChannels?: number
  defaultViewConfiguration?: LayerViewConfiguration
  largestSegmentId?: number
  mappings?: string[]
  [key: string]: unknown
}

export interface DatasetJson {
  id: { name: string; team: string; [key: string]: unknown }
  scale: number[] | { factor: number[]; unit?: string; [key: string]: unknown }
  dataLayers: LayerJson[]
  defaultViewConfiguration?: DatasetViewConfiguration
  [key: string]: unknown
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isVec3 = (v: unknown): v is number[] => Array.isArray(v) && v.length === 3 && v.every((c) => typeof c === 'number' && Number.isFinite(c))

/** Parses and checks the properties file; anything a valid writer could not have produced is ERR_WK_CORRUPT. */
export function parseProperties(text: string, path: string): DatasetJson {
  const corrupt = (what: string) => new WebknossosError('ERR_WK_CORRUPT', `Invalid properties file "${path}": ${what}`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new WebknossosError('ERR_WK_CORRUPT', `Invalid properties file "${path}": not valid JSON (${(error as Error).message})`)
  }
  if (!isObject(json)) throw corrupt('not a JSON object')
  if (!isObject(json.id) || typeof json.id.name !== 'string') throw corrupt('"id.name" is missing')
  const factor = isObject(json.scale) ? json.scale.factor : json.scale
  if (!isVec3(factor) || !factor.every((f) => f > 0)) throw corrupt(`"scale" must be three positive numbers, but is ${JSON.stringify(json.scale)}`)
  if (!Array.isArray(json.dataLayers)) throw corrupt('"dataLayers" is missing')
  const names = new Set<string>()
  for (const layer of json.dataLayers as unknown[]) {
    if (!isObject(layer) || typeof layer.name !== 'string') throw corrupt('a layer has no "name"')
    checkLayerName(layer.name, { from: 'properties', file: path })
    const where = `layer "${layer.name}"`
    if (names.has(layer.name)) throw corrupt(`${where} appears twice`)
    names.add(layer.name)
    if (layer.category !== 'color' && layer.category !== 'segmentation') {
      throw corrupt(`${where}: the category has to be "color" or "segmentation", but is ${JSON.stringify(layer.category)}`)
    }
    const bbox = layer.boundingBox
    if (!isObject(bbox) || !isVec3(bbox.topLeft) || ![bbox.width, bbox.height, bbox.depth].every(Number.isInteger)) {
      throw corrupt(`${where}: "boundingBox" must be { topLeft, width, height, depth }`)
    }
    if (typeof layer.elementClass !== 'string') throw corrupt(`${where}: "elementClass" is missing`)
    if (typeof layer.dataFormat !== 'string') throw corrupt(`${where}: "dataFormat" is missing`)
    if (!Array.isArray(layer.wkwResolutions) && !Array.isArray(layer.mags)) throw corrupt(`${where}: neither "wkwResolutions" nor "mags" is given`)
    for (const entry of magEntriesOf(layer as unknown as LayerJson)) {
      try {
        new Mag(magValue(entry))
      } catch (error) {
        throw corrupt(`${where}: ${(error as Error).message}`)
      }
    }
    if (layer.numChannels !== undefined && !(Number.isInteger(layer.numChannels) && (layer.numChannels as number) >= 1)) {
      throw corrupt(`${where}: "numChannels" must be a positive integer, but is ${JSON.stringify(layer.numChannels)}`)
    }
  }
  return json as unknown as DatasetJson
}

/** The text written to disk: indented like the Python library writes it. */
export function serializeProperties(json: DatasetJson): string {
  return JSON.stringify(json, null, 4)
}

/** The properties of a new dataset, in the form of the Python library (plus numChannels per layer). */
export function newDatasetJson(name: string, scale: Vec3): DatasetJson {
  return { id: { name, team: '' }, scale: [...scale], dataLayers: [] }
}

export function scaleOf(json: DatasetJson): Vec3 {
  const factor = Array.isArray(json.scale) ? json.scale : json.scale.factor
  return [factor[0], factor[1], factor[2]]
}

/** The mag entries of a layer, in whichever of the two forms it stores them. */
function magEntriesOf(layer: LayerJson): (WkwResolutionJson | MagLocatorJson)[] {
  return layer.mags ?? layer.wkwResolutions ?? []
}

function magValue(entry: WkwResolutionJson | MagLocatorJson): number | number[] {
  return ('mag' in entry ? entry.mag : (entry as WkwResolutionJson).resolution) as number | number[]
}

export interface MagEntry {
  mag: Mag
  /** The stored path of the mag directory (`mags` form only), relative to the dataset. */
  path?: string
}

export function magEntries(layer: LayerJson): MagEntry[] {
  return magEntriesOf(layer).map((entry) => ({ mag: new Mag(magValue(entry)), path: typeof entry.path === 'string' ? entry.path : undefined }))
}

const AXIS_ORDER = { c: 0, x: 1, y: 2, z: 3 }

/**
 * The entry of a new layer, in the form of the dataset: `wkwResolutions` for WKW layers of
 * datasets that use them (every server reads them), `mags` otherwise; Zarr layers exactly as
 * today's Python library writes them.
 */
export function newLayerJson(
  json: DatasetJson,
  name: string,
  category: Category,
  elementClass: string,
  numChannels: number,
  dataFormat: DataFormat,
): LayerJson {
  const boundingBox = { topLeft: [0, 0, 0] as [number, number, number], width: 0, height: 0, depth: 0 }
  if (dataFormat !== 'wkw') return { name, category, boundingBox, dataFormat, mags: [], numChannels, elementClass }
  const form = json.dataLayers.some((l) => Array.isArray(l.mags) && l.dataFormat === 'wkw') ? { mags: [] } : { wkwResolutions: [] }
  return { name, category, boundingBox, elementClass, ...form, dataFormat, numChannels }
}

/** Registers a mag of layout `info` in the layer's own form. */
export function addMagEntry(layer: LayerJson, mag: Mag, info: ArrayInfo): void {
  const cubeLength = info.shardShape[0]
  if (layer.mags) {
    const path = `./${layer.name}/${mag.toLayerName()}`
    const entry: MagLocatorJson =
      info.dataFormat === 'wkw' ? { mag: mag.toArray(), path, cubeLength } : { mag: mag.toArray(), path, axisOrder: { ...AXIS_ORDER } }
    if (info.dataFormat === 'wkw' && layer.mags.some((m) => 'axisOrder' in m)) entry.axisOrder = { ...AXIS_ORDER }
    layer.mags.push(entry)
  } else {
    ;(layer.wkwResolutions ??= []).push({ resolution: mag.toArray(), cubeLength })
  }
}

export function removeMagEntry(layer: LayerJson, mag: Mag): void {
  const keep = (entry: WkwResolutionJson | MagLocatorJson) => !new Mag(magValue(entry)).equals(mag)
  if (layer.mags) layer.mags = layer.mags.filter(keep)
  if (layer.wkwResolutions) layer.wkwResolutions = layer.wkwResolutions.filter(keep)
}

/** Points the stored mag paths of a renamed layer at its new directory. */
export function renameMagPaths(layer: LayerJson, oldName: string): void {
  for (const entry of layer.mags ?? []) {
    if (typeof entry.path !== 'string') continue
    // Today's library writes "./<layer>/<mag>"; the server also reads "<layer>/<mag>".
    for (const prefix of [`./${oldName}/`, `${oldName}/`]) {
      if (entry.path.startsWith(prefix)) {
        entry.path = `${prefix.startsWith('./') ? './' : ''}${layer.name}/${entry.path.slice(prefix.length)}`
        break
      }
    }
  }
}
