/// <reference lib="dom" />
// Planes, mags and the mapping between canvas pixels and voxels (see the rendering rules in main.ts).

import type { LayerInfo, MagInfo, Vec3 } from './api'

export type Plane = 'xy' | 'xz' | 'yz'
export const PLANES: readonly Plane[] = ['xy', 'xz', 'yz']

/** Axis indices (0 = x, 1 = y, 2 = z): `u` runs right along the canvas, `v` down, `w` is the slice axis. */
export interface PlaneAxes {
  u: 0 | 1 | 2
  v: 0 | 1 | 2
  w: 0 | 1 | 2
}

export function planeAxes(plane: Plane): PlaneAxes {
  switch (plane) {
    case 'xy':
      return { u: 0, v: 1, w: 2 }
    case 'xz':
      return { u: 0, v: 2, w: 1 }
    case 'yz':
      return { u: 1, v: 2, w: 0 }
  }
}

/** Accepts 'xy', 'x-y', 'XY', 'x_y' … */
export function parsePlane(input: string): Plane {
  const p = input.toLowerCase().replace(/[^xyz]/g, '')
  if (p === 'xy' || p === 'xz' || p === 'yz') return p
  throw new Error(`unknown plane "${input}" (expected xy, xz or yz)`)
}

/** A box in the voxels of one mag, `max` exclusive. */
export interface MagBox {
  min: Vec3
  max: Vec3
}

/**
 * The layer's bounding box (mag-1 voxels) in the voxels of `mag`: floor of the top-left, ceiling of the end,
 * clipped to the Zarr array's shape ([c, x, y, z]) when it is known.
 */
export function boxInMag(layer: LayerInfo, mag: MagInfo): MagBox {
  const { topLeft, size } = layer.boundingBox
  const min = [0, 1, 2].map((a) => Math.floor(topLeft[a] / mag.mag[a])) as Vec3
  const max = [0, 1, 2].map((a) => {
    const end = Math.ceil((topLeft[a] + size[a]) / mag.mag[a])
    const shape = mag.shape?.length === 4 ? mag.shape[a + 1] : undefined
    return shape === undefined ? end : Math.min(end, shape)
  }) as Vec3
  return { min, max }
}

/** Integer zoom factors >= 1 replicate voxels; 1/k (k integer) shows every k-th voxel. */
export function normalizeZoom(zoom: number): number {
  if (!Number.isFinite(zoom) || zoom <= 0) throw new Error(`invalid zoom ${zoom}`)
  if (zoom >= 1) return Math.min(64, Math.round(zoom))
  return 1 / Math.min(64, Math.round(1 / zoom))
}

export const ZOOM_STEPS: readonly number[] = [1 / 8, 1 / 4, 1 / 2, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32]

export function nextZoom(zoom: number, direction: 1 | -1): number {
  if (direction > 0) return ZOOM_STEPS.find((z) => z > zoom + 1e-9) ?? zoom
  return [...ZOOM_STEPS].reverse().find((z) => z < zoom - 1e-9) ?? zoom
}

/** What a draw shows: the canvas size and which voxels of the current mag land on it. */
export interface ViewWindow {
  axes: PlaneAxes
  /** Canvas size in pixels. */
  width: number
  height: number
  /** Pixel replication factor (zoom >= 1) and voxel stride (zoom < 1). */
  zoomIn: number
  step: number
  /** Voxel (current mag) at canvas pixel (0, 0). */
  u0: number
  v0: number
  /** Number of fetched voxels ("cells") along u and v; pixels beyond them are outside the bounding box. */
  cellsU: number
  cellsV: number
  /** Slice index in the current mag. */
  w: number
  /** Offset (voxels of the current mag from the box's corner) after clamping. */
  offset: [number, number]
}

export function viewWindow(
  box: MagBox,
  plane: Plane,
  magVec: Vec3,
  slice: number,
  zoom: number,
  offset: [number, number],
  maxWidth: number,
  maxHeight: number,
): ViewWindow {
  const axes = planeAxes(plane)
  const zoomIn = zoom >= 1 ? zoom : 1
  const step = zoom >= 1 ? 1 : Math.round(1 / zoom)
  const extentU = Math.max(0, box.max[axes.u] - box.min[axes.u])
  const extentV = Math.max(0, box.max[axes.v] - box.min[axes.v])
  const width = Math.max(1, Math.min(Math.floor(maxWidth), Math.ceil((extentU * zoomIn) / step)))
  const height = Math.max(1, Math.min(Math.floor(maxHeight), Math.ceil((extentV * zoomIn) / step)))
  // How many voxels fit on the canvas, and so how far one may pan.
  const spanU = Math.floor(width / zoomIn) * step
  const spanV = Math.floor(height / zoomIn) * step
  const offU = clampInt(offset[0], 0, Math.max(0, extentU - spanU))
  const offV = clampInt(offset[1], 0, Math.max(0, extentV - spanV))
  const cellsU = Math.max(0, Math.min(Math.ceil(width / zoomIn), Math.ceil((extentU - offU) / step)))
  const cellsV = Math.max(0, Math.min(Math.ceil(height / zoomIn), Math.ceil((extentV - offV) / step)))
  return {
    axes,
    width,
    height,
    zoomIn,
    step,
    u0: box.min[axes.u] + offU,
    v0: box.min[axes.v] + offV,
    cellsU,
    cellsV,
    w: Math.floor(slice / magVec[axes.w]),
    offset: [offU, offV],
  }
}

function clampInt(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(x)))
}

/** Picks the mag of another layer closest to `target` (the same one when present). */
export function closestMag(mags: readonly MagInfo[], target: readonly number[]): MagInfo {
  let best = mags[0]
  let bestScore = Infinity
  for (const m of mags) {
    let score = 0
    for (let a = 0; a < 3; a++) {
      const r = Math.log2(m.mag[a] / target[a])
      // Prefer finer over coarser at equal distance.
      score += Math.abs(r) + (r > 0 ? 1e-3 : 0)
    }
    if (score < bestScore) {
      best = m
      bestScore = score
    }
  }
  return best
}
