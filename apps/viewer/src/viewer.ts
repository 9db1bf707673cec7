/// <reference lib="dom" />
// The viewer: owns the view state, draws it (fetch slices → render → canvas), and handles mouse and keyboard.

import { fetchDatasets, type DatasetInfo, type LayerInfo, type MagInfo, type Vec3 } from './api'
import { defaultContrast } from './colors'
import { Controls, type HoverInfo } from './controls'
import { boxInMag, closestMag, nextZoom, planeAxes, viewWindow, type ViewWindow } from './geometry'
import { renderImage, type OverlayInput } from './render'
import { DrawScheduler } from './scheduler'
import { exactValueAt, readSlice, type SliceData, type SliceRequest } from './slices'
import {
  applySelect,
  findDataset,
  findLayer,
  findMag,
  sliceOf,
  type SelectInput,
  type ViewState,
} from './state'

/** What the last draw showed; the hover read-out and probe() look values up here. */
interface Drawn {
  state: ViewState
  layer: LayerInfo
  mag: MagInfo
  win: ViewWindow
  main: SliceData | null
  overlay: { slice: SliceData; mapU: Int32Array; mapV: Int32Array } | null
}

export interface Probe {
  /** Mag-1 voxel coordinates (x, y, z): the voxel's corner along the canvas axes, the slice along the normal. */
  position: Vec3
  /** Voxel value of the displayed layer (an array for multi-channel layers). */
  value: number | number[]
  /** Segment id of the selected segmentation layer (a string when above 2^53), null when none is selected. */
  segment: number | string | null
}

export interface PublicState {
  dataset: string
  layer: string
  segmentation: string | null
  plane: 'xy' | 'xz' | 'yz'
  slice: number
  mag: Vec3
  contrast: [number, number] | null
  zoom: number
  overlay: boolean
  opacity: number
  offset: [number, number]
  position: Vec3
}

const URL_KEYS = ['dataset', 'layer', 'segmentation', 'plane', 'slice', 'mag', 'zoom'] as const

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x))
}

function toPlain(v: number | bigint): number | string {
  if (typeof v !== 'bigint') return v
  const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
  return safe ? Number(v) : v.toString()
}

function formatValue(v: number | bigint): string {
  if (typeof v === 'bigint' || Number.isInteger(v)) return v.toString()
  return Number(v.toPrecision(6)).toString()
}

export class Viewer {
  datasets: DatasetInfo[] = []
  state: ViewState | null = null
  readonly canvas: HTMLCanvasElement
  readonly container: HTMLElement
  readonly controls: Controls
  readonly #scheduler: DrawScheduler
  #drawn: Drawn | null = null
  #mouse: { x: number; y: number } | null = null
  /** Data range seen per layer (for the contrast sliders of types without a fixed range). */
  readonly #dataRange = new Map<string, [number, number]>()

  constructor() {
    this.canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')!
    this.container = document.querySelector<HTMLElement>('[data-testid="view"]')!
    this.controls = new Controls({
      select: (input) => this.#userSelect(input),
      zoom: (direction) => this.#zoomAboutCentre(direction),
      step: (delta) => this.#step(delta),
    })
    this.#scheduler = new DrawScheduler(
      (signal) => this.#draw(signal),
      (error) => {
        if (error === null) this.controls.setStatus('', 'ok')
        else this.controls.setStatus(`Error: ${error instanceof Error ? error.message : String(error)}`, 'error')
      },
    )
    this.#bindCanvas()
  }

  async start(): Promise<void> {
    this.controls.setStatus('Loading datasets…', 'loading')
    this.datasets = await fetchDatasets()
    if (this.datasets.length === 0) {
      this.controls.setStatus('The server lists no datasets.', 'error')
      return
    }
    const params = new URLSearchParams(location.search)
    const input: SelectInput = {}
    for (const key of URL_KEYS) {
      const value = params.get(key)
      if (value === null) continue
      if (key === 'slice' || key === 'zoom') input[key] = Number(value)
      else if (key === 'segmentation') input.segmentation = value === '' ? null : value
      else input[key] = value
    }
    try {
      this.state = applySelect(this.datasets, null, input)
    } catch {
      this.state = applySelect(this.datasets, null, {})
    }
    this.#syncControls()
    await this.#scheduler.request()
  }

  select(input: SelectInput): Promise<void> {
    if (this.state === null) return Promise.reject(new Error('the viewer has no datasets loaded yet'))
    try {
      this.state = applySelect(this.datasets, this.state, input)
    } catch (error) {
      return Promise.reject(error)
    }
    this.#syncControls()
    return this.#scheduler.request()
  }

  rendered(): Promise<void> {
    return this.#scheduler.idle()
  }

  publicState(): PublicState | null {
    const s = this.state
    if (s === null) return null
    return {
      dataset: s.dataset,
      layer: s.layer,
      segmentation: s.segmentation,
      plane: s.plane,
      slice: sliceOf(s),
      mag: [...s.mag] as Vec3,
      contrast: s.contrast === null ? null : [s.contrast[0], s.contrast[1]],
      zoom: s.zoom,
      overlay: s.overlay,
      opacity: s.opacity,
      offset: [s.offset[0], s.offset[1]],
      position: [...s.position] as Vec3,
    }
  }

  /** Values under canvas pixel (x, y) of the last draw, or null outside the data. */
  probe(x: number, y: number): Probe | null {
    const d = this.#drawn
    if (d === null || d.main === null) return null
    const { win } = d
    const i = Math.floor(x / win.zoomIn)
    const j = Math.floor(y / win.zoomIn)
    if (!(i >= 0 && j >= 0 && i < win.cellsU && j < win.cellsV)) return null
    const { u, v, w } = win.axes
    const position: Vec3 = [0, 0, 0]
    position[u] = (win.u0 + i * win.step) * d.mag.mag[u]
    position[v] = (win.v0 + j * win.step) * d.mag.mag[v]
    position[w] = sliceOf(d.state)
    const values: number[] = []
    for (let c = 0; c < d.main.channels; c++) values.push(Number(exactValueAt(d.main, c, i, j)))
    let segment: number | string | null = null
    if (d.overlay !== null) {
      const su = d.overlay.mapU[i]
      const sv = d.overlay.mapV[j]
      segment = su >= 0 && sv >= 0 ? toPlain(exactValueAt(d.overlay.slice, 0, su, sv)) : 0
    } else if (d.state.segmentation !== null) {
      segment = 0 // the slice lies outside the segmentation layer's bounding box
    }
    return { position, value: values.length === 1 ? values[0] : values, segment }
  }

  #hoverInfo(x: number, y: number): HoverInfo | null {
    const d = this.#drawn
    const p = this.probe(x, y)
    if (d === null || d.main === null || p === null) return null
    const i = Math.floor(x / d.win.zoomIn)
    const j = Math.floor(y / d.win.zoomIn)
    const raw: string[] = []
    for (let c = 0; c < d.main.channels; c++) raw.push(formatValue(exactValueAt(d.main, c, i, j)))
    return { position: p.position, value: raw.join(', '), segment: p.segment === null ? null : String(p.segment) }
  }

  #userSelect(input: SelectInput): void {
    this.select(input).catch(() => undefined) // errors are shown in the status line
  }

  #step(delta: number): void {
    const s = this.state
    if (s === null) return
    const w = planeAxes(s.plane).w
    this.#userSelect({ slice: sliceOf(s) + delta * s.mag[w] })
  }

  /** Zoom buttons and keys keep the voxel at the canvas centre in place (select({ zoom }) keeps the offset). */
  #zoomAboutCentre(direction: 1 | -1): void {
    const s = this.state
    if (s === null) return
    const zoom = nextZoom(s.zoom, direction)
    const win = this.#drawn?.win
    if (win === undefined) return this.#userSelect({ zoom })
    const { width: maxW, height: maxH } = this.#viewport()
    const centre = (offset: number, size: number, max: number): number => {
      const voxel = offset + size / 2 / s.zoom
      return Math.round(voxel - Math.min(max, size) / 2 / zoom)
    }
    this.#userSelect({
      zoom,
      offset: [centre(s.offset[0], win.width, maxW), centre(s.offset[1], win.height, maxH)],
    })
  }

  #viewport(): { width: number; height: number } {
    const width = this.container.clientWidth
    const height = this.container.clientHeight
    return { width: width > 0 ? width : 512, height: height > 0 ? height : 512 }
  }

  #syncControls(): void {
    const s = this.state
    if (s === null) return
    const layer = findLayer(findDataset(this.datasets, s.dataset), s.layer)
    this.controls.update(this.datasets, s, layer, this.#dataRange.get(`${s.dataset}/${s.layer}`) ?? null)
  }

  async #draw(signal: AbortSignal): Promise<void> {
    const st = this.state
    if (st === null) return
    const ds = findDataset(this.datasets, st.dataset)
    const layer = findLayer(ds, st.layer)
    const mag = findMag(layer, st.mag)
    const box = boxInMag(layer, mag)
    const viewport = this.#viewport()
    const win = viewWindow(box, st.plane, mag.mag, sliceOf(st), st.zoom, st.offset, viewport.width, viewport.height)
    const { u, v, w } = win.axes
    const empty = win.cellsU === 0 || win.cellsV === 0 || box.max[w] <= box.min[w]
    const mainRequest: SliceRequest = {
      url: mag.url,
      axes: win.axes,
      w: clamp(win.w, box.min[w], box.max[w] - 1),
      u: [win.u0, Math.min(box.max[u], win.u0 + win.cellsU * win.step), win.step],
      v: [win.v0, Math.min(box.max[v], win.v0 + win.cellsV * win.step), win.step],
      channels: layer.numChannels >= 3 ? 3 : 1,
    }
    const segPlan =
      st.segmentation === null || empty ? null : overlayPlan(findLayer(ds, st.segmentation), mag, win, sliceOf(st))
    // Say "Loading…" only when fetching takes noticeable time (slices from the cache draw at once).
    const loading = setTimeout(() => this.controls.setStatus('Loading…', 'loading'), 150)
    const [main, seg] = await Promise.all([
      empty ? null : readSlice(mainRequest, signal),
      segPlan === null ? null : readSlice(segPlan.request, signal),
    ]).finally(() => clearTimeout(loading))
    signal.throwIfAborted()

    const rangeKey = `${st.dataset}/${st.layer}`
    const range = main === null ? null : dataRange(main)
    if (range !== null) {
      const seen = this.#dataRange.get(rangeKey)
      const merged: [number, number] =
        seen === undefined ? range : [Math.min(seen[0], range[0]), Math.max(seen[1], range[1])]
      this.#dataRange.set(rangeKey, merged)
    }
    let contrast = st.contrast
    if (contrast === null) {
      contrast = defaultContrast(main?.dtype ?? layer.dtype) ?? autoContrast(range)
    }
    const overlay = segPlan !== null && seg !== null ? { slice: seg, mapU: segPlan.mapU, mapV: segPlan.mapV } : null
    const overlayInput: OverlayInput | null =
      overlay !== null && st.overlay ? { ...overlay, opacity: st.opacity } : null
    const image = renderImage({ win, main, contrast, overlay: overlayInput })

    if (this.canvas.width !== win.width || this.canvas.height !== win.height) {
      this.canvas.width = win.width
      this.canvas.height = win.height
    }
    this.canvas.style.width = `${win.width}px`
    this.canvas.style.height = `${win.height}px`
    // A CPU-backed canvas: drawing is putImageData only, and tests read pixels back.
    this.canvas.getContext('2d', { willReadFrequently: true })!.putImageData(image, 0, 0)

    // Store what the draw resolved (default contrast, clamped pan) unless the state moved on meanwhile.
    const resolved: ViewState = { ...st, contrast, offset: win.offset }
    if (this.state === st) this.state = resolved
    this.#drawn = { state: resolved, layer, mag, win, main, overlay }
    this.#syncControls()
    if (this.#mouse !== null) this.controls.setHover(this.#hoverInfo(this.#mouse.x, this.#mouse.y))
  }

  #canvasPixel(e: MouseEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect()
    const sx = rect.width > 0 ? this.canvas.width / rect.width : 1
    const sy = rect.height > 0 ? this.canvas.height / rect.height : 1
    return { x: Math.floor((e.clientX - rect.left) * sx), y: Math.floor((e.clientY - rect.top) * sy) }
  }

  #bindCanvas(): void {
    let drag: { x: number; y: number; offset: [number, number] } | null = null
    this.canvas.addEventListener('pointerdown', (e) => {
      if (this.state === null || e.button !== 0) return
      drag = { ...this.#canvasPixel(e), offset: [...this.state.offset] }
      this.canvas.setPointerCapture(e.pointerId)
    })
    this.canvas.addEventListener('pointermove', (e) => {
      const p = this.#canvasPixel(e)
      this.#mouse = p
      this.controls.setHover(this.#hoverInfo(p.x, p.y))
      const win = this.#drawn?.win
      if (drag !== null && win !== undefined) {
        const du = Math.round(((drag.x - p.x) / win.zoomIn) * win.step)
        const dv = Math.round(((drag.y - p.y) / win.zoomIn) * win.step)
        this.#userSelect({ offset: [drag.offset[0] + du, drag.offset[1] + dv] })
      }
    })
    const endDrag = () => {
      drag = null
    }
    this.canvas.addEventListener('pointerup', endDrag)
    this.canvas.addEventListener('pointercancel', endDrag)
    this.canvas.addEventListener('pointerleave', () => {
      this.#mouse = null
      this.controls.setHover(null)
    })
    // One slice (or zoom step) per wheel notch; small trackpad deltas add up to a step every 50 pixels.
    let wheel = 0
    this.container.addEventListener(
      'wheel',
      (e) => {
        if (this.state === null) return
        e.preventDefault()
        wheel += e.deltaMode === WheelEvent.DOM_DELTA_PIXEL ? e.deltaY : Math.sign(e.deltaY) * 100
        if (Math.abs(wheel) < 50) return
        const direction = wheel > 0 ? 1 : -1
        wheel = 0
        if (e.ctrlKey || e.metaKey) this.#zoomAboutCentre(direction > 0 ? -1 : 1)
        else this.#step(direction * (e.shiftKey ? 10 : 1))
      },
      { passive: false },
    )
    document.addEventListener('keydown', (e) => {
      const target = e.target as HTMLElement | null
      if (target !== null && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return
      if (e.ctrlKey || e.metaKey || e.altKey) return
      const actions: Record<string, () => void> = {
        ArrowUp: () => this.#step(1),
        f: () => this.#step(1),
        ArrowDown: () => this.#step(-1),
        d: () => this.#step(-1),
        PageUp: () => this.#step(10),
        PageDown: () => this.#step(-10),
        '+': () => this.#zoomAboutCentre(1),
        '=': () => this.#zoomAboutCentre(1),
        '-': () => this.#zoomAboutCentre(-1),
      }
      const action = actions[e.key]
      if (action !== undefined) {
        e.preventDefault()
        action()
      }
    })
    new ResizeObserver(() => {
      if (this.state !== null) this.#scheduler.request().catch(() => undefined)
    }).observe(this.container)
  }
}

/** Where the segmentation layer's voxels for each displayed cell are, and the slice request covering them. */
function overlayPlan(
  seg: LayerInfo,
  mainMag: MagInfo,
  win: ViewWindow,
  slice: number,
): { request: SliceRequest; mapU: Int32Array; mapV: Int32Array } | null {
  const mag = closestMag(seg.mags, mainMag.mag)
  const box = boxInMag(seg, mag)
  const { u, v, w } = win.axes
  const sw = Math.floor(slice / mag.mag[w])
  if (sw < box.min[w] || sw >= box.max[w]) return null
  const axis = (a: 0 | 1 | 2, start: number, cells: number) => {
    // Cell k shows main-mag voxel start + k·step, i.e. mag-1 coordinate (start + k·step)·m, i.e. segmentation voxel
    // floor((start + k·step)·m / s).
    const m = mainMag.mag[a]
    const s = mag.mag[a]
    const voxels = new Int32Array(cells)
    for (let k = 0; k < cells; k++) voxels[k] = Math.floor(((start + k * win.step) * m) / s)
    const inside = Array.from(voxels).filter((x) => x >= box.min[a] && x < box.max[a])
    if (inside.length === 0) return null
    const lo = inside[0]
    const hi = inside[inside.length - 1]
    const ratio = (win.step * m) / s
    const step = Number.isInteger(ratio) && ratio >= 1 ? ratio : 1
    const map = new Int32Array(cells)
    for (let k = 0; k < cells; k++) {
      const x = voxels[k]
      map[k] = x >= box.min[a] && x < box.max[a] ? (x - lo) / step : -1
    }
    return { range: [lo, hi + 1, step] as [number, number, number], map }
  }
  const au = axis(u, win.u0, win.cellsU)
  const av = axis(v, win.v0, win.cellsV)
  if (au === null || av === null) return null
  return {
    request: { url: mag.url, axes: win.axes, w: sw, u: au.range, v: av.range, channels: 1 },
    mapU: au.map,
    mapV: av.map,
  }
}

function dataRange(s: SliceData): [number, number] | null {
  const data = s.data
  let lo = Infinity
  let hi = -Infinity
  if (typeof data[0] === 'bigint') {
    for (let k = 0; k < data.length; k++) {
      const x = Number(data[k])
      if (x < lo) lo = x
      if (x > hi) hi = x
    }
  } else {
    const d = data as Exclude<typeof data, BigInt64Array | BigUint64Array>
    for (let k = 0; k < d.length; k++) {
      const x = d[k]
      if (x < lo) lo = x
      if (x > hi) hi = x
    }
  }
  return lo <= hi ? [lo, hi] : null
}

/** Contrast from the data in view: its minimum and maximum (max = min + 1 when the slice is uniform). */
function autoContrast(range: [number, number] | null): [number, number] {
  if (range === null) return [0, 255]
  return range[1] > range[0] ? range : [range[0], range[0] + 1]
}
