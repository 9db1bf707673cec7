/// <reference lib="dom" />
// Colour maps: the contrast ramp of color layers and the hash that gives each segment id its colour.

/** MurmurHash3's 32-bit finalizer. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Low and high 32 bits of an id taken as a 64-bit two's-complement integer. */
function idWords(id: number | bigint): [number, number] {
  if (typeof id === 'bigint') {
    const u = BigInt.asUintN(64, id)
    return [Number(u & 0xffffffffn), Number(u >> 32n)]
  }
  const t = Math.trunc(id)
  if (t >= 0 && t <= 0xffffffff) return [t, 0]
  if (t < 0 && t >= -0x80000000) return [t >>> 0, 0xffffffff]
  return idWords(BigInt(t))
}

/**
 * Colour of a segment id as 0xRRGGBB, or -1 for id 0 (transparent):
 *   h = fmix32(lo ^ fmix32(hi))   (lo, hi: low/high 32 bits of the id as a uint64; for ids < 2^32 this is fmix32(id))
 *   r = (h & 0xFF) | 0x40,  g = ((h >>> 8) & 0xFF) | 0x40,  b = ((h >>> 16) & 0xFF) | 0x40
 */
export function segmentColor(id: number | bigint): number {
  if (id === 0 || id === 0n) return -1
  const [lo, hi] = idWords(id)
  const h = fmix32((lo ^ fmix32(hi)) >>> 0)
  const r = (h & 0xff) | 0x40
  const g = ((h >>> 8) & 0xff) | 0x40
  const b = ((h >>> 16) & 0xff) | 0x40
  return (r << 16) | (g << 8) | b
}

/** Gray level of value v: round(255 · clamp((v − min) / (max − min), 0, 1)), rounding halves up. */
export function gray(v: number, min: number, max: number): number {
  if (Number.isNaN(v)) return 0
  if (!(max > min)) return v < min ? 0 : 255
  const t = (v - min) / (max - min)
  return Math.round(255 * (t < 0 ? 0 : t > 1 ? 1 : t))
}

/** Blend of one 0–255 channel: round((1 − α) · base + α · overlay), rounding halves up. */
export function blend(base: number, overlay: number, alpha: number): number {
  return Math.round((1 - alpha) * base + alpha * overlay)
}

/** Default contrast per dtype: the full range for uint8, otherwise null (taken from the data in view). */
export function defaultContrast(dtype: string): [number, number] | null {
  return dtype === 'uint8' ? [0, 255] : null
}
