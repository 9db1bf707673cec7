import { invalidArgument } from '../errors'
import { type MagLike, toMag } from './mag'
import { type Vec3, add, formatVec3, mul, product, sub, toVec3, vecEquals } from './vec3'

/** The bounding box as stored in `datasource-properties.json`. */
export interface WkwBoundingBox {
  topLeft: [number, number, number]
  width: number
  height: number
  depth: number
}

/** Checks that `value` is three integers of any sign and returns a frozen copy. */
function toIntVec3(value: unknown, name: string): Vec3 {
  const v = Array.isArray(value) || ArrayBuffer.isView(value) ? Array.from(value as ArrayLike<unknown>) : undefined
  if (!v || v.length !== 3 || !v.every((c) => Number.isSafeInteger(c))) {
    const shown = v ? `[${v.join(', ')}]` : String(value)
    throw invalidArgument(`${name} must be three integers, but is ${shown}`)
  }
  // `+ 0` turns -0 (from ceil/floor/% of negatives) into 0, so equal boxes are deep-equal too.
  return Object.freeze(v.map((c) => (c as number) + 0)) as unknown as Vec3
}

function checkBox(value: unknown, name: string): BoundingBox {
  if (!(value instanceof BoundingBox)) throw invalidArgument(`${name} must be a BoundingBox, but is ${String(value)}`)
  return value
}

const map3 = (a: Vec3, b: Vec3, f: (a: number, b: number) => number): Vec3 => [
  f(a[0], b[0]),
  f(a[1], b[1]),
  f(a[2], b[2]),
]

/**
 * An axis-aligned box of voxels like the Python `BoundingBox`: `topLeft` is inclusive,
 * `bottomRight` exclusive. Immutable; every operation returns a new box.
 */
export class BoundingBox {
  readonly topLeft: Vec3
  /** Non-negative, except where `alignWithMag` shrinks a box below nothing. */
  readonly size: Vec3

  constructor(topLeft: Vec3, size: Vec3) {
    this.topLeft = toIntVec3(topLeft, 'topLeft')
    this.size = toIntVec3(size, 'size')
    Object.freeze(this)
  }

  /** From the `{ topLeft, width, height, depth }` shape of `datasource-properties.json`. */
  static fromWkw(json: WkwBoundingBox): BoundingBox {
    if (json === null || typeof json !== 'object') {
      throw invalidArgument(`Expected { topLeft, width, height, depth }, got ${String(json)}`)
    }
    return new BoundingBox(json.topLeft, [json.width, json.height, json.depth])
  }

  /** The smallest box containing every point (each point is one voxel, so it is inside). */
  static fromPoints(points: Iterable<Vec3>): BoundingBox {
    let min: Vec3 | undefined
    let max: Vec3 | undefined
    for (const point of points) {
      const p = toIntVec3(point, 'point')
      min = min ? map3(min, p, Math.min) : p
      max = max ? map3(max, p, Math.max) : p
    }
    if (!min || !max) throw invalidArgument('fromPoints needs at least one point')
    return new BoundingBox(min, add(sub(max, min), [1, 1, 1]))
  }

  /** `topLeft + size`, exclusive. */
  get bottomRight(): Vec3 {
    return Object.freeze(add(this.topLeft, this.size)) as Vec3
  }

  /** The `{ topLeft, width, height, depth }` shape of `datasource-properties.json`, as a new object. */
  toWkw(): WkwBoundingBox {
    const [width, height, depth] = this.size
    return { topLeft: [...this.topLeft], width, height, depth }
  }

  /**
   * Moves both corners onto multiples of `mag`: `ceil` grows the box, otherwise it shrinks, and
   * a box smaller than one mag step then gets a negative size (kept, as in the reference).
   */
  alignWithMag(mag: MagLike, opts?: { ceil?: boolean }): BoundingBox {
    const m = toMag(mag).vec()
    const [roundStart, roundEnd] = opts?.ceil ? [Math.floor, Math.ceil] : [Math.ceil, Math.floor]
    const topLeft = map3(this.topLeft, m, (v, s) => roundStart(v / s) * s)
    const bottomRight = map3(this.bottomRight, m, (v, s) => roundEnd(v / s) * s)
    return new BoundingBox(topLeft, sub(bottomRight, topLeft))
  }

  /** This mag-1 box in voxels of `mag`; both corners must be multiples of `mag`. */
  inMag(mag: MagLike): BoundingBox {
    const m = toMag(mag)
    const v = m.vec()
    const aligned = (corner: Vec3) => corner.every((c, i) => c % v[i] === 0)
    if (!aligned(this.topLeft) || !aligned(this.bottomRight)) {
      throw invalidArgument(`${this} is not aligned with mag ${m}`)
    }
    return new BoundingBox(map3(this.topLeft, v, (a, b) => a / b), map3(this.size, v, (a, b) => a / b))
  }

  /** This box, given in voxels of `mag`, in mag-1 voxels. */
  fromMagToMag1(mag: MagLike): BoundingBox {
    const m = toMag(mag).vec()
    return new BoundingBox(mul(this.topLeft, m), mul(this.size, m))
  }

  /**
   * The overlap of both boxes. Disjoint boxes give an empty box (size clamped to 0) where the
   * reference asserts, so callers can test `isEmpty()` instead of catching.
   */
  intersectedWith(other: BoundingBox): BoundingBox {
    const o = checkBox(other, 'other')
    const topLeft = map3(this.topLeft, o.topLeft, Math.max)
    const bottomRight = map3(this.bottomRight, o.bottomRight, Math.min)
    return new BoundingBox(topLeft, map3(bottomRight, topLeft, (b, t) => Math.max(b - t, 0)))
  }

  /** The smallest box containing both; an empty box still counts as its `topLeft`, as in the reference. */
  extendedBy(other: BoundingBox): BoundingBox {
    const o = checkBox(other, 'other')
    const topLeft = map3(this.topLeft, o.topLeft, Math.min)
    const bottomRight = map3(this.bottomRight, o.bottomRight, Math.max)
    return new BoundingBox(topLeft, sub(bottomRight, topLeft))
  }

  /** Whether the box holds no voxel (some size component is ≤ 0). */
  isEmpty(): boolean {
    return this.size.some((s) => s <= 0)
  }

  /** The number of voxels, `width * height * depth`. */
  volume(): number {
    return product(this.size)
  }

  /** Whether `topLeft <= point < bottomRight` on every axis. */
  contains(point: Vec3): boolean {
    const p = point as unknown
    if (!(Array.isArray(p) || ArrayBuffer.isView(p)) || (p as ArrayLike<unknown>).length !== 3) {
      throw invalidArgument(`point must be three numbers, but is ${String(p)}`)
    }
    const br = this.bottomRight
    return [0, 1, 2].every((i) => this.topLeft[i] <= point[i] && point[i] < br[i])
  }

  /**
   * Whether `inner` lies within this box, defined as in the reference by `inner ∩ this == inner`;
   * an `inner` with a zero size therefore counts as contained wherever it is.
   */
  containsBbox(inner: BoundingBox): boolean {
    return checkBox(inner, 'inner').intersectedWith(this).equals(inner)
  }

  /** Grows the box by `left` before `topLeft` and `right` after `bottomRight`. */
  paddedWithMargins(left: Vec3, right: Vec3 = left): BoundingBox {
    const l = toIntVec3(left, 'left')
    const r = toIntVec3(right, 'right')
    return new BoundingBox(sub(this.topLeft, l), add(add(this.size, l), r))
  }

  /** The same box shifted by `vector`. */
  offset(vector: Vec3): BoundingBox {
    return new BoundingBox(add(this.topLeft, toIntVec3(vector, 'vector')), this.size)
  }

  /**
   * Splits the box into non-empty, non-overlapping chunks of at most `chunkSize` that cover it
   * exactly, x outermost and z innermost. With `alignment` (which must divide `chunkSize`),
   * every border between chunks is a multiple of it, so chunks can match files or shards.
   */
  chunk(chunkSize: Vec3, alignment?: Vec3): Generator<BoundingBox, void, undefined> {
    // Checked here rather than in the generator, so bad arguments throw at the call.
    const step = toVec3(chunkSize, 'chunkSize', 1)
    let adjust: Vec3 = [0, 0, 0]
    if (alignment !== undefined) {
      const a = toVec3(alignment, 'alignment', 1)
      if (!step.every((s, i) => s % a[i] === 0)) {
        throw invalidArgument(`chunkSize ${formatVec3(step)} must be a multiple of alignment ${formatVec3(a)}`)
      }
      adjust = map3(this.topLeft, a, (t, m) => ((t % m) + m) % m)
    }
    return this.#chunks(step, sub(this.topLeft, adjust))
  }

  *#chunks(step: Vec3, start: Vec3): Generator<BoundingBox, void, undefined> {
    const end = this.bottomRight
    for (let x = start[0]; x < end[0]; x += step[0]) {
      for (let y = start[1]; y < end[1]; y += step[1]) {
        for (let z = start[2]; z < end[2]; z += step[2]) {
          const chunk = new BoundingBox([x, y, z], step).intersectedWith(this)
          if (!chunk.isEmpty()) yield chunk
        }
      }
    }
  }

  /** Whether `other` is a box with the same `topLeft` and `size`. */
  equals(other: BoundingBox): boolean {
    return other instanceof BoundingBox && vecEquals(this.topLeft, other.topLeft) && vecEquals(this.size, other.size)
  }

  /** `BoundingBox(topLeft=(x, y, z), size=(w, h, d))` */
  toString(): string {
    return `BoundingBox(topLeft=${formatVec3(this.topLeft)}, size=${formatVec3(this.size)})`
  }
}
