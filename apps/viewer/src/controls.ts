/// <reference lib="dom" />
// The side panel: reads the controls of index.html (found by their data-testid) and keeps them in sync with the
// view state. User input becomes select() calls; keyboard and mouse on the canvas are handled in viewer.ts.

import { magKey, type DatasetInfo, type LayerInfo } from './api'
import { planeAxes } from './geometry'
import { sliceOf, type SelectInput, type ViewState } from './state'

export interface ControlActions {
  select(input: SelectInput): void
  zoom(direction: 1 | -1): void
  step(delta: number): void
}

export interface HoverInfo {
  position: [number, number, number]
  value: string
  segment: string | null
}

function byTestId<T extends HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`[data-testid="${id}"]`)
  if (el === null) throw new Error(`index.html lacks [data-testid="${id}"]`)
  return el
}

const DTYPE_RANGES: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
}

export class Controls {
  readonly dataset = byTestId<HTMLSelectElement>('dataset-select')
  readonly layer = byTestId<HTMLSelectElement>('layer-select')
  readonly plane = byTestId<HTMLSelectElement>('plane-select')
  readonly slider = byTestId<HTMLInputElement>('slice-slider')
  readonly sliceInput = byTestId<HTMLInputElement>('slice-input')
  readonly prev = byTestId<HTMLButtonElement>('slice-prev')
  readonly next = byTestId<HTMLButtonElement>('slice-next')
  readonly mag = byTestId<HTMLSelectElement>('mag-select')
  readonly contrastMin = byTestId<HTMLInputElement>('contrast-min')
  readonly contrastMax = byTestId<HTMLInputElement>('contrast-max')
  readonly contrastMinSlider = byTestId<HTMLInputElement>('contrast-min-slider')
  readonly contrastMaxSlider = byTestId<HTMLInputElement>('contrast-max-slider')
  readonly contrastAuto = byTestId<HTMLButtonElement>('contrast-auto')
  readonly segmentation = byTestId<HTMLSelectElement>('segmentation-select')
  readonly overlay = byTestId<HTMLInputElement>('overlay-toggle')
  readonly opacity = byTestId<HTMLInputElement>('opacity-slider')
  readonly opacityLabel = byTestId<HTMLElement>('opacity-value')
  readonly zoomIn = byTestId<HTMLButtonElement>('zoom-in')
  readonly zoomOut = byTestId<HTMLButtonElement>('zoom-out')
  readonly zoomLabel = byTestId<HTMLElement>('zoom-value')
  readonly hoverPosition = byTestId<HTMLElement>('hover-position')
  readonly hoverValue = byTestId<HTMLElement>('hover-value')
  readonly hoverSegment = byTestId<HTMLElement>('hover-segment')
  readonly status = byTestId<HTMLElement>('status')
  readonly #optionKeys = new WeakMap<HTMLSelectElement, string>()

  constructor(actions: ControlActions) {
    const on = (el: HTMLElement, type: string, fn: () => void) => el.addEventListener(type, fn)
    on(this.dataset, 'change', () => actions.select({ dataset: this.dataset.value }))
    on(this.layer, 'change', () => actions.select({ layer: this.layer.value }))
    on(this.plane, 'change', () => actions.select({ plane: this.plane.value }))
    on(this.slider, 'input', () => actions.select({ slice: Number(this.slider.value) }))
    on(this.sliceInput, 'change', () => actions.select({ slice: Number(this.sliceInput.value) }))
    on(this.prev, 'click', () => actions.step(-1))
    on(this.next, 'click', () => actions.step(1))
    on(this.mag, 'change', () => actions.select({ mag: this.mag.value }))
    const contrast = (min: HTMLInputElement, max: HTMLInputElement) => () => {
      const lo = Number(min.value)
      const hi = Number(max.value)
      if (Number.isFinite(lo) && Number.isFinite(hi)) actions.select({ contrast: [lo, hi] })
    }
    on(this.contrastMin, 'change', contrast(this.contrastMin, this.contrastMax))
    on(this.contrastMax, 'change', contrast(this.contrastMin, this.contrastMax))
    on(this.contrastMinSlider, 'input', contrast(this.contrastMinSlider, this.contrastMaxSlider))
    on(this.contrastMaxSlider, 'input', contrast(this.contrastMinSlider, this.contrastMaxSlider))
    on(this.contrastAuto, 'click', () => actions.select({ contrast: null }))
    on(this.segmentation, 'change', () => actions.select({ segmentation: this.segmentation.value || null }))
    on(this.overlay, 'change', () => actions.select({ overlay: this.overlay.checked }))
    on(this.opacity, 'input', () => actions.select({ opacity: Number(this.opacity.value) }))
    on(this.zoomIn, 'click', () => actions.zoom(1))
    on(this.zoomOut, 'click', () => actions.zoom(-1))
  }

  /** Replaces a select's options only when they changed (keeps focus and scroll position otherwise). */
  #options(select: HTMLSelectElement, options: Array<[value: string, label: string]>, value: string): void {
    const key = JSON.stringify(options)
    if (this.#optionKeys.get(select) !== key) {
      select.replaceChildren(...options.map(([v, label]) => new Option(label, v)))
      this.#optionKeys.set(select, key)
    }
    select.value = value
  }

  update(
    datasets: readonly DatasetInfo[],
    state: ViewState,
    layer: LayerInfo,
    dataRange: [number, number] | null,
  ): void {
    const ds = datasets.find((d) => d.name === state.dataset)
    this.#options(this.dataset, datasets.map((d) => [d.name, d.name]), state.dataset)
    const layers = (ds?.layers ?? []).map((l): [string, string] => [l.name, `${l.name} (${l.category}, ${l.dtype})`])
    this.#options(this.layer, layers, state.layer)
    this.plane.value = state.plane
    const w = planeAxes(state.plane).w
    const { topLeft, size } = layer.boundingBox
    const slice = sliceOf(state)
    for (const el of [this.slider, this.sliceInput]) {
      el.min = String(topLeft[w])
      el.max = String(topLeft[w] + Math.max(0, size[w] - 1))
      el.step = '1'
      if (document.activeElement !== el || el === this.slider) el.value = String(slice)
    }
    this.#options(this.mag, layer.mags.map((m) => [magKey(m.mag), magKey(m.mag)]), magKey(state.mag))

    const range = DTYPE_RANGES[layer.dtype] ?? widen(dataRange, state.contrast)
    const integer = !layer.dtype.startsWith('float')
    const step = integer ? '1' : String((range[1] - range[0]) / 1000 || 'any')
    for (const el of [this.contrastMinSlider, this.contrastMaxSlider]) {
      el.min = String(range[0])
      el.max = String(range[1])
      el.step = step
    }
    for (const el of [this.contrastMin, this.contrastMax]) el.step = integer ? '1' : 'any'
    if (state.contrast !== null) {
      this.contrastMinSlider.value = String(state.contrast[0])
      this.contrastMaxSlider.value = String(state.contrast[1])
      if (document.activeElement !== this.contrastMin) this.contrastMin.value = String(state.contrast[0])
      if (document.activeElement !== this.contrastMax) this.contrastMax.value = String(state.contrast[1])
    }

    const segs = (ds?.layers ?? []).filter((l) => l.category === 'segmentation')
    const segOptions = segs.map((l): [string, string] => [l.name, l.name])
    this.#options(this.segmentation, [['', '(none)'], ...segOptions], state.segmentation ?? '')
    this.overlay.checked = state.overlay
    this.opacity.value = String(state.opacity)
    this.opacityLabel.textContent = state.opacity.toFixed(2)
    this.zoomLabel.textContent = state.zoom >= 1 ? `${state.zoom}×` : `1/${Math.round(1 / state.zoom)}×`
  }

  setHover(info: HoverInfo | null): void {
    this.hoverPosition.textContent = info === null ? '–' : info.position.join(', ')
    this.hoverValue.textContent = info === null ? '–' : info.value
    this.hoverSegment.textContent = info?.segment ?? '–'
  }

  setStatus(text: string, kind: 'loading' | 'ok' | 'error'): void {
    this.status.textContent = text
    this.status.dataset.kind = kind
  }
}

function widen(data: [number, number] | null, contrast: [number, number] | null): [number, number] {
  const lo = Math.min(data?.[0] ?? 0, contrast?.[0] ?? 0)
  const hi = Math.max(data?.[1] ?? 1, contrast?.[1] ?? 1)
  return hi > lo ? [lo, hi] : [lo, lo + 1]
}
