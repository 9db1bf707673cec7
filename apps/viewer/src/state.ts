/// <reference lib="dom" />
// The view state and how select() inputs change it (validation, defaults, what resets when).

import type { DatasetInfo, LayerInfo, MagInfo, Vec3 } from './api'
import { normalizeZoom, parsePlane, planeAxes, type Plane } from './geometry'

export interface ViewState {
  dataset: string
  layer: string
  segmentation: string | null
  overlay: boolean
  opacity: number
  plane: Plane
  /** Cursor position in mag-1 voxels; the slice is its coordinate along the plane's normal. */
  position: Vec3
  mag: Vec3
  /** null until the first draw of the layer picks a default. */
  contrast: [number, number] | null
  zoom: number
  /** Pan: voxels of the current mag between the bounding box's corner and canvas pixel (0, 0). */
  offset: [number, number]
}

export interface SelectInput {
  dataset?: string
  layer?: string
  /** A segmentation layer's name, or null for none. */
  segmentation?: string | null
  plane?: string
  /** Mag-1 coordinate along the plane's normal. */
  slice?: number
  /** [2, 2, 1], "2-2-1" or 2 (= [2, 2, 2]). */
  mag?: readonly number[] | string | number
  /** [min, max] or { min, max }; null = default for the dtype / data in view. */
  contrast?: readonly [number, number] | { min: number; max: number } | null
  zoom?: number
  overlay?: boolean
  opacity?: number
  offset?: readonly [number, number]
  position?: readonly [number, number, number]
}

export function findDataset(datasets: readonly DatasetInfo[], name: string): DatasetInfo {
  const ds = datasets.find((d) => d.name === name)
  if (ds === undefined) throw new Error(`unknown dataset "${name}"`)
  return ds
}

export function findLayer(ds: DatasetInfo, name: string): LayerInfo {
  const layer = ds.layers.find((l) => l.name === name)
  if (layer === undefined) throw new Error(`dataset "${ds.name}" has no layer "${name}"`)
  return layer
}

export function findMag(layer: LayerInfo, mag: readonly number[]): MagInfo {
  const found = layer.mags.find((m) => m.mag.every((v, i) => v === mag[i]))
  if (found === undefined) throw new Error(`layer "${layer.name}" has no mag ${mag.join('-')}`)
  return found
}

export function finestMag(layer: LayerInfo): MagInfo {
  if (layer.mags.length === 0) throw new Error(`layer "${layer.name}" has no mags`)
  return [...layer.mags].sort((a, b) => a.mag[0] * a.mag[1] * a.mag[2] - b.mag[0] * b.mag[1] * b.mag[2])[0]
}

export function parseMag(input: readonly number[] | string | number): Vec3 {
  const parts =
    typeof input === 'number' ? [input] : typeof input === 'string' ? input.split(/[-,x ]+/).map(Number) : [...input]
  const vec = parts.length === 1 ? [parts[0], parts[0], parts[0]] : parts
  if (vec.length !== 3 || vec.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`invalid mag ${JSON.stringify(input)}`)
  }
  return vec as Vec3
}

function centre(layer: LayerInfo): Vec3 {
  const { topLeft, size } = layer.boundingBox
  return [0, 1, 2].map((a) => topLeft[a] + Math.floor(size[a] / 2)) as Vec3
}

function clampToBox(p: readonly number[], layer: LayerInfo): Vec3 {
  const { topLeft, size } = layer.boundingBox
  return [0, 1, 2].map((a) =>
    Math.min(topLeft[a] + Math.max(0, size[a] - 1), Math.max(topLeft[a], Math.round(p[a]))),
  ) as Vec3
}

function defaultLayer(ds: DatasetInfo): LayerInfo {
  const layer = ds.layers.find((l) => l.category === 'color') ?? ds.layers[0]
  if (layer === undefined) throw new Error(`dataset "${ds.name}" has no layers`)
  return layer
}

function defaultSegmentation(ds: DatasetInfo): string | null {
  return ds.layers.find((l) => l.category === 'segmentation')?.name ?? null
}

function withLayer(state: ViewState, layer: LayerInfo): ViewState {
  const keepMag = layer.mags.some((m) => m.mag.every((v, i) => v === state.mag[i]))
  return {
    ...state,
    layer: layer.name,
    mag: keepMag ? state.mag : ([...finestMag(layer).mag] as Vec3),
    position: clampToBox(state.position, layer),
    contrast: null,
    offset: [0, 0],
  }
}

export function initialState(ds: DatasetInfo, previous?: ViewState): ViewState {
  const layer = defaultLayer(ds)
  return {
    dataset: ds.name,
    layer: layer.name,
    segmentation: defaultSegmentation(ds),
    overlay: previous?.overlay ?? true,
    opacity: previous?.opacity ?? 0.5,
    plane: previous?.plane ?? 'xy',
    position: centre(layer),
    mag: [...finestMag(layer).mag] as Vec3,
    contrast: null,
    zoom: previous?.zoom ?? 1,
    offset: [0, 0],
  }
}

/** The state after `input`; throws (and changes nothing) when a name or value is invalid. */
export function applySelect(
  datasets: readonly DatasetInfo[],
  current: ViewState | null,
  input: SelectInput,
): ViewState {
  let state: ViewState
  if (input.dataset !== undefined && input.dataset !== current?.dataset) {
    state = initialState(findDataset(datasets, input.dataset), current ?? undefined)
  } else if (current !== null) {
    state = { ...current }
  } else {
    if (datasets.length === 0) throw new Error('no datasets')
    state = initialState(datasets[0])
  }
  const ds = findDataset(datasets, state.dataset)
  if (input.layer !== undefined && input.layer !== state.layer) state = withLayer(state, findLayer(ds, input.layer))
  const layer = findLayer(ds, state.layer)
  if (input.segmentation !== undefined) {
    if (input.segmentation !== null) findLayer(ds, input.segmentation)
    state.segmentation = input.segmentation
  }
  if (input.plane !== undefined) {
    const plane = parsePlane(input.plane)
    if (plane !== state.plane) state = { ...state, plane, offset: [0, 0] }
  }
  if (input.mag !== undefined) {
    const mag = findMag(layer, parseMag(input.mag)).mag
    const { u, v } = planeAxes(state.plane)
    state.offset = [
      Math.floor((state.offset[0] * state.mag[u]) / mag[u]),
      Math.floor((state.offset[1] * state.mag[v]) / mag[v]),
    ]
    state.mag = [...mag] as Vec3
  }
  if (input.position !== undefined) state.position = clampToBox(input.position, layer)
  if (input.slice !== undefined) {
    if (!Number.isFinite(input.slice)) throw new Error(`invalid slice ${input.slice}`)
    const p: Vec3 = [...state.position]
    p[planeAxes(state.plane).w] = input.slice
    state.position = clampToBox(p, layer)
  }
  if (input.contrast !== undefined) {
    const c = input.contrast
    if (c === null) state.contrast = null
    else {
      const pair: [number, number] = Array.isArray(c)
        ? [c[0], c[1]]
        : [(c as { min: number }).min, (c as { max: number }).max]
      if (!pair.every(Number.isFinite)) throw new Error(`invalid contrast ${JSON.stringify(c)}`)
      state.contrast = pair
    }
  }
  if (input.zoom !== undefined) state.zoom = normalizeZoom(input.zoom)
  if (input.offset !== undefined) {
    if (!input.offset.every(Number.isFinite)) throw new Error(`invalid offset ${JSON.stringify(input.offset)}`)
    state.offset = [Math.round(input.offset[0]), Math.round(input.offset[1])]
  }
  if (input.overlay !== undefined) state.overlay = Boolean(input.overlay)
  if (input.opacity !== undefined) {
    if (!Number.isFinite(input.opacity)) throw new Error(`invalid opacity ${input.opacity}`)
    state.opacity = Math.min(1, Math.max(0, input.opacity))
  }
  return state
}

/** The slice: mag-1 coordinate along the plane's normal. */
export function sliceOf(state: ViewState): number {
  return state.position[planeAxes(state.plane).w]
}
