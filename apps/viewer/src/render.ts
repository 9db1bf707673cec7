/// <reference lib="dom" />
// Turns fetched slices into canvas pixels: contrast ramp or RGB, segment overlay, integer nearest-neighbour zoom.

import { blend, gray, segmentColor } from './colors'
import type { ViewWindow } from './geometry'
import type { SliceData } from './slices'

/** A segmentation slice plus, per cell of the main slice, the index into it along u and v (-1 = outside). */
export interface OverlayInput {
  slice: SliceData
  mapU: Int32Array
  mapV: Int32Array
  opacity: number
}

export interface RenderInput {
  win: ViewWindow
  main: SliceData | null
  contrast: [number, number]
  overlay: OverlayInput | null
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

function pack(r: number, g: number, b: number): number {
  return littleEndian
    ? ((0xff << 24) | (b << 16) | (g << 8) | r) >>> 0
    : ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0
}

function unpack(p: number): [number, number, number] {
  return littleEndian
    ? [p & 0xff, (p >>> 8) & 0xff, (p >>> 16) & 0xff]
    : [p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff]
}

/** Gray lookup table for integer types up to 16 bits (same formula as `gray`). */
function grayLut(dtype: string, min: number, max: number): { lut: Uint8Array; offset: number } | null {
  const ranges: Record<string, [number, number]> = {
    uint8: [0, 255],
    int8: [-128, 127],
    uint16: [0, 65535],
    int16: [-32768, 32767],
  }
  const range = ranges[dtype]
  if (range === undefined) return null
  const lut = new Uint8Array(range[1] - range[0] + 1)
  for (let v = range[0]; v <= range[1]; v++) lut[v - range[0]] = gray(v, min, max)
  return { lut, offset: -range[0] }
}

/** One packed RGBA value per cell (fetched voxel), rows along v. */
function cellColours(input: RenderInput): Uint32Array {
  const { win, main, contrast } = input
  const n = win.cellsU * win.cellsV
  const cells = new Uint32Array(n)
  if (main === null) return cells
  const [min, max] = contrast
  const table = grayLut(main.dtype, min, max)
  const data = main.data
  const big = typeof data[0] === 'bigint'
  const channelGray = (index: number): number => {
    const raw = data[index]
    if (table !== null) return table.lut[(raw as number) + table.offset]
    return gray(big ? Number(raw) : (raw as number), min, max)
  }
  for (let j = 0; j < win.cellsV; j++) {
    for (let i = 0; i < win.cellsU; i++) {
      const base = i * main.strideU + j * main.strideV
      const g0 = channelGray(base)
      const pixel =
        main.channels >= 3
          ? pack(g0, channelGray(base + main.strideC), channelGray(base + 2 * main.strideC))
          : pack(g0, g0, g0)
      cells[j * win.cellsU + i] = pixel
    }
  }
  if (input.overlay !== null) applyOverlay(cells, win, input.overlay)
  return cells
}

function applyOverlay(cells: Uint32Array, win: ViewWindow, overlay: OverlayInput): void {
  const { slice, mapU, mapV, opacity } = overlay
  if (opacity <= 0) return
  let lastId: number | bigint = 0
  let lastColour = -1
  for (let j = 0; j < win.cellsV; j++) {
    const sv = mapV[j]
    if (sv < 0) continue
    for (let i = 0; i < win.cellsU; i++) {
      const su = mapU[i]
      if (su < 0) continue
      const id = slice.data[su * slice.strideU + sv * slice.strideV]
      if (id === 0 || id === 0n) continue
      if (id !== lastId) {
        lastId = id
        lastColour = segmentColor(id)
      }
      const k = j * win.cellsU + i
      const [r, g, b] = unpack(cells[k])
      cells[k] = pack(
        blend(r, (lastColour >>> 16) & 0xff, opacity),
        blend(g, (lastColour >>> 8) & 0xff, opacity),
        blend(b, lastColour & 0xff, opacity),
      )
    }
  }
}

/** The canvas image: each cell covers zoomIn × zoomIn pixels; pixels past the cells stay transparent. */
export function renderImage(input: RenderInput): ImageData {
  const { win } = input
  const cells = cellColours(input)
  const image = new ImageData(win.width, win.height)
  const out = new Uint32Array(image.data.buffer)
  const z = win.zoomIn
  const usedW = Math.min(win.width, win.cellsU * z)
  const usedH = Math.min(win.height, win.cellsV * z)
  for (let y = 0; y < usedH; y++) {
    const row = y * win.width
    if (y % z !== 0) {
      out.copyWithin(row, row - win.width, row - win.width + usedW)
      continue
    }
    const cellRow = (y / z) * win.cellsU
    if (z === 1) {
      out.set(cells.subarray(cellRow, cellRow + usedW), row)
    } else {
      for (let x = 0; x < usedW; x++) out[row + x] = cells[cellRow + Math.floor(x / z)]
    }
  }
  return image
}
