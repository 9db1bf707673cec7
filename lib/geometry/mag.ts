import { invalidArgument } from '../errors'
import type { Vec3 } from './vec3'

/** Anything that names a mag: `2`, `'2'`, `'2-2-1'`, `[2, 2, 1]` or a `Mag`. */
export type MagLike = number | string | Vec3 | readonly number[] | Mag

const ISOTROPIC = /^\d+$/
const ANISOTROPIC = /^\d+-\d+-\d+$/

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`
  try {
    return String(value)
  } catch {
    // Objects without a prototype have no toString.
    return typeof value
  }
}

function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false
  // Bit tricks would truncate to 32 bits, so halve instead.
  while (n % 2 === 0) n /= 2
  return n === 1
}

function parse(value: unknown): number[] {
  if (value instanceof Mag) return value.toArray()
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return [value, value, value]
  if (typeof value === 'string') {
    if (ISOTROPIC.test(value)) return Array(3).fill(Number.parseInt(value, 10))
    if (ANISOTROPIC.test(value)) return value.split('-').map((c) => Number.parseInt(c, 10))
  }
  if (Array.isArray(value) && value.length === 3 && value.every((c) => typeof c === 'number')) return [...value]
  throw invalidArgument(`Invalid mag ${describe(value)}: expected a power of two, "x-y-z" or [x, y, z]`)
}

/**
 * A magnification (downsampling factor per axis) like the Python `Mag`: every component is a
 * positive power of two. Immutable.
 */
export class Mag {
  readonly x: number
  readonly y: number
  readonly z: number

  /** `new Mag(2)`, `new Mag('2-2-1')`, `new Mag([2, 2, 1])` or a copy of another `Mag`. */
  constructor(value: MagLike) {
    const [x, y, z] = parse(value)
    if (![x, y, z].every(isPowerOfTwo)) {
      throw invalidArgument(`Mag ${x}-${y}-${z} is invalid: every component must be a power of two`)
    }
    this.x = x
    this.y = y
    this.z = z
    Object.freeze(this)
  }

  /** The components as a new mutable array. */
  toArray(): [number, number, number] {
    return [this.x, this.y, this.z]
  }

  /** The components as a `Vec3`, for the vector helpers. */
  vec(): Vec3 {
    return [this.x, this.y, this.z]
  }

  /** The directory name of this mag in a layer: `"2"` if all components are equal, else `"2-2-1"`. */
  toLayerName(): string {
    return this.isIsotropic ? String(this.x) : this.toLongLayerName()
  }

  /** Always `"x-y-z"`, e.g. `"2-2-2"`. */
  toLongLayerName(): string {
    return `${this.x}-${this.y}-${this.z}`
  }

  /** The largest component. */
  get maxDim(): number {
    return Math.max(this.x, this.y, this.z)
  }

  /** Whether all components are equal. */
  get isIsotropic(): boolean {
    return this.x === this.y && this.y === this.z
  }

  /** Whether `other` names the same mag; an invalid `other` throws, as in `new Mag`. */
  equals(other: MagLike): boolean {
    const o = toMag(other)
    return this.x === o.x && this.y === o.y && this.z === o.z
  }

  /** A total order (by `maxDim`, then x, y, z) for `Array.prototype.sort`. */
  static compare(a: MagLike, b: MagLike): number {
    const m = toMag(a)
    const n = toMag(b)
    return m.maxDim - n.maxDim || m.x - n.x || m.y - n.y || m.z - n.z
  }

  /** Every component times `factor`; the result must be a valid mag. */
  scaledBy(factor: number): Mag {
    return new Mag([this.x * factor, this.y * factor, this.z * factor])
  }

  /** Every component divided by `divisor`; the result must be a valid mag. */
  dividedBy(divisor: number): Mag {
    return new Mag([this.x / divisor, this.y / divisor, this.z / divisor])
  }

  /** Component-wise `this / other`, which may be fractional (e.g. the step from one mag to the next). */
  divide(other: MagLike): Vec3 {
    const o = toMag(other)
    return [this.x / o.x, this.y / o.y, this.z / o.z]
  }

  /** The layer name, e.g. `"2"` or `"2-2-1"`. */
  toString(): string {
    return this.toLayerName()
  }
}

/** `value` as a `Mag`; a `Mag` is returned as is. Invalid values are `ERR_WK_INVALID_ARGUMENT`. */
export function toMag(value: MagLike): Mag {
  return value instanceof Mag ? value : new Mag(value)
}
