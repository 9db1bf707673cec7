/// <reference lib="dom" />
/**
 * WEBKNOSSOS dataset viewer — browser page served by `wk serve` at `GET /` (assets under `/viewer/`).
 *
 * Data: `GET /api/datasets` lists datasets, layers and mags; each mag is a Zarr v3 array read with zarrita
 * (sharding, transpose/bytes/zstd/blosc/gzip/crc32c). Only the chunks of the visible slice region are fetched.
 * If the page URL has `?token=…`, every API and data request carries `token=<value>` as a query parameter.
 * Optional page URL parameters pick the initial view: dataset, layer, segmentation, plane, slice, mag, zoom.
 *
 * ## Rendering rules (deterministic; what a pixel test can rely on)
 * - Planes: `xy` (canvas right = +x, down = +y, slice axis z), `xz` (right = +x, down = +z, slice y),
 *   `yz` (right = +y, down = +z, slice x).
 * - `slice` is a mag-1 voxel coordinate along the slice axis; the current mag shows its voxel
 *   floor(slice / mag[w]). `slice` is clamped to the layer's bounding box; it defaults to the box's centre,
 *   topLeft + floor(size / 2).
 * - The current mag's bounding box is [floor(topLeft / mag), ceil((topLeft + size) / mag)) per axis.
 *   Canvas pixel (px, py) shows the current mag's voxel
 *       (boxMin_u + offset_u + floor(px / zoom),  boxMin_v + offset_v + floor(py / zoom))   for zoom >= 1,
 *       (boxMin_u + offset_u + px · k,            boxMin_v + offset_v + py · k)              for zoom = 1/k.
 *   Zoom is an integer >= 1 (each voxel becomes zoom × zoom pixels, nearest neighbour) or 1/k for integer k.
 *   `offset` (pan, in voxels of the current mag) is 0, 0 unless the user drags or select({ offset }) sets it; it
 *   is reset on dataset, layer and plane changes and scaled on mag changes. So at zoom 1 and offset 0 one voxel
 *   is one canvas pixel and canvas (0, 0) is the bounding box's corner.
 * - The canvas is as large as the data at this zoom, but at most the size of the view area; canvas pixels
 *   with no voxel (past the bounding box) are transparent: rgba(0, 0, 0, 0). All others have alpha 255.
 * - Color layers: value v → gray g = round(255 · clamp((v − min) / (max − min), 0, 1)), rounding halves up
 *   (JS Math.round); if max <= min, g = v < min ? 0 : 255; NaN → 0. Pixel = (g, g, g).
 *   Layers with 3 channels (RGB) map each channel with the same ramp, so uint8 RGB with the default contrast
 *   0–255 shows the channels directly. Other multi-channel layers show channel 0.
 * - Default contrast: [0, 255] for uint8; for every other dtype the minimum and maximum of the first slice
 *   drawn after the layer is selected (max = min + 1 if uniform); select({ contrast: null }) re-derives it.
 * - Segmentation overlay (when a segmentation layer is selected and overlay is on): the segment id of each
 *   displayed voxel is read from the segmentation layer's mag equal to the current mag (else the closest one,
 *   sampling voxel floor(mag-1 coordinate / segMag)). Id 0 is transparent; other ids get colour (r, g, b):
 *       lo, hi = low and high 32 bits of the id as uint64 (two's complement for negative ids)
 *       h = fmix32((lo ^ fmix32(hi)) >>> 0)        — for ids < 2^32 simply h = fmix32(id)
 *       fmix32(h): h ^= h >>> 16; h = imul(h, 0x85ebca6b); h ^= h >>> 13; h = imul(h, 0xc2b2ae35); h ^= h >>> 16
 *       r = (h & 0xFF) | 0x40,  g = ((h >>> 8) & 0xFF) | 0x40,  b = ((h >>> 16) & 0xFF) | 0x40
 *   and each channel becomes round((1 − α) · base + α · segmentColour) with α = opacity (default 0.5),
 *   rounding halves up. Any layer (also a segmentation layer) can be the displayed layer; it is then shown
 *   through the gray ramp.
 *
 * ## Test hook: `window.__viewer`
 * - `ready: Promise<void>` — resolves once /api/datasets is listed and the first slice is drawn (at once, with
 *   nothing drawn, if the server lists no datasets); rejects if either fails.
 * - `state()` → `{ dataset, layer, segmentation, plane, slice, mag, contrast, zoom, overlay, opacity, offset,
 *   position }` (null before the datasets are listed): plane 'xy' | 'xz' | 'yz', slice in mag-1 voxels, mag as
 *   [x, y, z], contrast [min, max] (null until the first draw of a layer picked the default), zoom a number
 *   (0.5 = 1/2), offset [u, v] pan in current-mag voxels, position the mag-1 cursor [x, y, z].
 * - `select({ dataset?, layer?, segmentation?, plane?, slice?, mag?, contrast?, zoom?, overlay?, opacity?,
 *   offset?, position? })` → Promise<void> resolving when a draw of the new state has finished (rejects on an
 *   unknown name/invalid value, leaving the state unchanged, or when the draw fails). segmentation: a layer name
 *   or null; plane also 'x-y' etc.; mag [2, 2, 1], '2-2-1' or 2; contrast [min, max], { min, max } or null
 *   (default); a new dataset resets layer, segmentation, mag and slice to its defaults (first color layer,
 *   first segmentation layer, finest mag, centre) before the other fields apply. Fields apply in the order
 *   dataset, layer, segmentation, plane, mag, position, slice, contrast, zoom, offset, overlay, opacity (so a
 *   `slice` given with a `plane` is along the new plane's normal). A layer change keeps the mag if the new layer
 *   has it (else its finest), clamps the position into its bounding box and resets contrast to the default.
 * - `rendered()` → Promise<void> resolving after the draw in progress (and any pending one) has finished.
 * - `canvas` — the <canvas> element.
 * - `probe(x, y)` → `{ position, value, segment }` under canvas pixel (x, y) of the last draw, or null: mag-1
 *   position (voxel corner along the canvas axes, the slice along the normal), the displayed layer's value
 *   (array for 3 channels), segment id (string above 2^53; null without segmentation layer).
 * - `datasets()` → the /api/datasets list.
 * Controls carry data-testid: dataset-select, layer-select, plane-select, slice-slider, slice-input, slice-prev,
 * slice-next, mag-select, contrast-min, contrast-max, contrast-min-slider, contrast-max-slider, contrast-auto,
 * segmentation-select, overlay-toggle, opacity-slider, opacity-value, zoom-in, zoom-out, zoom-value,
 * viewer-canvas, view, hover-position, hover-value, hover-segment, status (data-kind = loading | ok | error).
 *
 * Input: mouse wheel = next/previous slice, one per notch (shift: ×10, ctrl: zoom), drag = pan, keys ↑/f ↓/d
 * (slice; a step is one voxel of the current mag), PageUp/PageDown (±10), + / − (zoom about the canvas centre).
 * A view needing more than 4096 chunks per layer (far zoomed out at a fine mag) is refused with an error in
 * the status line: pick a coarser mag.
 */

import type { DatasetInfo } from './api'
import type { SelectInput } from './state'
import { Viewer, type Probe, type PublicState } from './viewer'

export interface ViewerHook {
  ready: Promise<void>
  state(): PublicState | null
  select(input: SelectInput): Promise<void>
  rendered(): Promise<void>
  canvas: HTMLCanvasElement
  probe(x: number, y: number): Probe | null
  datasets(): DatasetInfo[]
}

declare global {
  interface Window {
    __viewer: ViewerHook
  }
}

function boot(): void {
  const viewer = new Viewer()
  const ready = viewer.start()
  ready.catch((error: unknown) => {
    viewer.controls.setStatus(`Error: ${error instanceof Error ? error.message : String(error)}`, 'error')
  })
  window.__viewer = {
    ready,
    state: () => viewer.publicState(),
    select: (input) => viewer.select(input),
    rendered: () => viewer.rendered(),
    canvas: viewer.canvas,
    probe: (x, y) => viewer.probe(x, y),
    datasets: () => viewer.datasets,
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot)
else boot()
