// Independent reference implementations for the downsampling suite (downsampling.spec.ts):
// block reducers (median, mode, max, min) and nearest-neighbour upsampling over (c, x, y, z)
// arrays, written from the reference's description (python-reference-behaviour.md §4.5, §4.7),
// never by calling the library's own kernels.
import type { DType, TypedArray, Vec3 } from '../../index'
import { arrayType } from '../../lib/storage/dtype'

export type Reducer = 'median' | 'mode' | 'max' | 'min'
type Value = number | bigint

/** Voxels with their (c, x, y, z) shape, in the library's memory order (channels, then x fastest). */
export interface Grid {
  data: TypedArray
  shape: [number, number, number, number]
}

const compare = (a: Value, b: Value): number => (a < b ? -1 : a > b ? 1 : 0)

/** A new grid of `dtype` whose voxel (c, x, y, z) is `f(c, x, y, z)`. */
export function gridOf(dtype: DType, shape: [number, number, number, number], f: (c: number, x: number, y: number, z: number) => Value): Grid {
  const [C, X, Y, Z] = shape
  const data = new (arrayType(dtype))(C * X * Y * Z) as TypedArray
  const big = typeof data[0] === 'bigint'
  let i = 0
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        for (let c = 0; c < C; c++) {
          const v = f(c, x, y, z)
          ;(data as unknown as Value[])[i++] = big ? BigInt(v) : Number(v)
        }
      }
    }
  }
  return { data, shape }
}

export function at(g: Grid, c: number, x: number, y: number, z: number): Value {
  const [C, X, Y] = g.shape
  return g.data[c + C * (x + X * (y + Y * z))] as Value
}

/** The value numpy's median gives for `values`, cast back to `dtype` (truncation for integers). */
function median(values: Value[], dtype: DType): Value {
  const sorted = [...values].sort(compare)
  const n = sorted.length
  if (n % 2 === 1) return sorted[(n - 1) / 2]
  const [a, b] = [sorted[n / 2 - 1], sorted[n / 2]]
  if (typeof a === 'bigint') return (a + (b as bigint)) / 2n // BigInt division truncates toward zero
  const mean = (a + (b as number)) / 2
  if (dtype === 'float32') return Math.fround(mean)
  if (dtype === 'float64') return mean
  return Math.trunc(mean)
}

/** The most frequent value; ties go to the smallest value. */
function mode(values: Value[]): Value {
  const sorted = [...values].sort(compare)
  let best = sorted[0]
  let bestCount = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j < sorted.length && sorted[j] === sorted[i]) j++
    if (j - i > bestCount) {
      best = sorted[i]
      bestCount = j - i
    }
    i = j
  }
  return best
}

function reduce(values: Value[], how: Reducer, dtype: DType): Value {
  switch (how) {
    case 'median':
      return median(values, dtype)
    case 'mode':
      return mode(values)
    case 'max':
      return values.reduce((m, v) => (v > m ? v : m))
    case 'min':
      return values.reduce((m, v) => (v < m ? v : m))
  }
}

/** Block-reduces every channel of `g` by `factors` (each dimension must be divisible). */
export function downsampleReference(g: Grid, factors: Vec3, how: Reducer, dtype: DType): Grid {
  const [C, X, Y, Z] = g.shape
  const [fx, fy, fz] = factors
  if (X % fx || Y % fy || Z % fz) throw new Error(`reference: shape ${g.shape} is not divisible by ${factors}`)
  return gridOf(dtype, [C, X / fx, Y / fy, Z / fz], (c, x, y, z) => {
    const values: Value[] = []
    for (let dz = 0; dz < fz; dz++) {
      for (let dy = 0; dy < fy; dy++) {
        for (let dx = 0; dx < fx; dx++) values.push(at(g, c, x * fx + dx, y * fy + dy, z * fz + dz))
      }
    }
    return reduce(values, how, dtype)
  })
}

/** Nearest-neighbour replication of every voxel `factors` times per axis. */
export function upsampleReference(g: Grid, factors: Vec3, dtype: DType): Grid {
  const [C, X, Y, Z] = g.shape
  const [fx, fy, fz] = factors
  return gridOf(dtype, [C, X * fx, Y * fy, Z * fz], (c, x, y, z) => at(g, c, Math.floor(x / fx), Math.floor(y / fy), Math.floor(z / fz)))
}

/** The first voxel where `actual` and `expected` differ (shape first), or undefined if equal. */
export function firstDifference(actual: { data: TypedArray; shape: readonly number[] }, expected: Grid): string | undefined {
  if (actual.shape.join() !== expected.shape.join()) return `shape [${actual.shape}] instead of [${expected.shape}]`
  const [C, X, Y] = expected.shape
  for (let i = 0; i < expected.data.length; i++) {
    const [a, e] = [actual.data[i] as Value, expected.data[i] as Value]
    if (a !== e && !(typeof a === 'number' && Number.isNaN(a) && Number.isNaN(e as number))) {
      const c = i % C
      const v = Math.floor(i / C)
      return `voxel c=${c} (${v % X}, ${Math.floor(v / X) % Y}, ${Math.floor(v / (X * Y))}): ${a} instead of ${e}`
    }
  }
  return undefined
}
