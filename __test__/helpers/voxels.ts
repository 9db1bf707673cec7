// Helpers of the dataset suites (dataset.spec.ts, view.spec.ts, properties.spec.ts): slicing of
// voxel arrays, fixture copies, warning capture and JSON access.
import type { ExecutionContext } from 'ava'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DType, TypedArray, Vec3, WebknossosError } from '../../index'
import { arrayType } from '../../lib/storage/dtype'
import { randomArray } from './data'
import { fixturesDir, tempDir } from './paths'

export const code = (e: unknown): string | undefined => (e as WebknossosError | undefined)?.code

/** Input of `write`: data and its (c, x, y, z) shape. */
export interface Voxels {
  data: TypedArray
  shape: [number, number, number, number]
}

const volume = (s: readonly number[]) => s.reduce((a, b) => a * b, 1)

/** Random voxels of `dtype` with shape (c, x, y, z). */
export function randomVoxels(dtype: DType, shape: [number, number, number, number], seed = 1): Voxels {
  return { data: randomArray(dtype, volume(shape), seed), shape }
}

/** Random one-channel voxels given with an (x, y, z) shape, as the Python tests write 3-D arrays. */
export function random3d(dtype: DType, size: Vec3, seed = 1): { data: TypedArray; shape: Vec3 } {
  return { data: randomArray(dtype, volume(size), seed), shape: size }
}

/** Random uint8 voxels below `limit` (so that `+ 50` does not wrap for limit 205). */
export function randomBelow(limit: number, shape: [number, number, number, number], seed = 1): Voxels {
  const data = randomArray('uint8', volume(shape), seed) as Uint8Array
  for (let i = 0; i < data.length; i++) data[i] %= limit
  return { data, shape }
}

/** `value` everywhere, with shape (c, x, y, z). */
export function constant(dtype: DType, shape: [number, number, number, number], value: number): Voxels {
  const data = new (arrayType(dtype))(volume(shape)) as TypedArray
  ;(data as Uint8Array).fill(value)
  return { data, shape }
}

/**
 * The reference's get_multichanneled_data, with values that survive the dtype: channel 0 = x·256,
 * channel 1 = y·256, channel 2 = 100·256 for uint16; for uint8 (where the reference wraps to all
 * zeros) x, y and 100 instead, so the round trip is meaningful.
 */
export function multiChannelData(dtype: 'uint8' | 'uint16'): Voxels {
  const [c, X, Y, Z] = [3, 250, 200, 10]
  const data = dtype === 'uint8' ? new Uint8Array(c * X * Y * Z) : new Uint16Array(c * X * Y * Z)
  const f = dtype === 'uint8' ? 1 : 256
  for (let z = 0; z < Z; z++) {
    for (let y = 0; y < Y; y++) {
      for (let x = 0; x < X; x++) {
        const i = 3 * (x + X * (y + Y * z))
        data[i] = (x * f) % (dtype === 'uint8' ? 256 : 65536)
        data[i + 1] = (y * f) % (dtype === 'uint8' ? 256 : 65536)
        data[i + 2] = 100 * f
      }
    }
  }
  return { data, shape: [c, X, Y, Z] }
}

/** The box `offset`/`size` (x, y, z) of `array`, as Voxels of the same channel count. */
export function slice(array: { data: TypedArray; shape: readonly number[] }, offset: Vec3, size: Vec3): Voxels {
  const [C, X, Y] = array.shape.length === 4 ? array.shape : [1, ...array.shape]
  const out = new (array.data.constructor as new (n: number) => TypedArray)(C * volume(size))
  let o = 0
  for (let z = 0; z < size[2]; z++) {
    for (let y = 0; y < size[1]; y++) {
      const start = C * (offset[0] + X * (offset[1] + y + Y * (offset[2] + z)))
      const row = array.data.subarray(start, start + C * size[0])
      ;(out as Uint8Array).set(row as Uint8Array, o)
      o += row.length
    }
  }
  return { data: out, shape: [C, size[0], size[1], size[2]] }
}

/** Copies `patch` into `array` at `offset` (x, y, z); both have the same channel count. */
export function paste(array: Voxels, patch: { data: TypedArray; shape: readonly number[] }, offset: Vec3): void {
  const [C, X, Y] = array.shape
  const [, px, py, pz] = patch.shape.length === 4 ? patch.shape : [1, ...patch.shape]
  for (let z = 0; z < pz; z++) {
    for (let y = 0; y < py; y++) {
      const from = C * px * (y + py * z)
      const to = C * (offset[0] + X * (offset[1] + y + Y * (offset[2] + z)))
      ;(array.data as Uint8Array).set(patch.data.subarray(from, from + C * px) as Uint8Array, to)
    }
  }
}

/** Adds `n` to every element (uint8 wraps, as numpy does). */
export function plus(array: { data: TypedArray; shape: readonly number[] }, n: number): Voxels {
  const data = (array.data as Uint8Array).map((v) => v + n) as TypedArray
  const shape = (array.shape.length === 4 ? array.shape : [1, ...array.shape]) as Voxels['shape']
  return { data, shape }
}

/** Whether two arrays hold the same elements (same type and length). */
export function sameData(a: TypedArray, b: TypedArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Asserts shape and contents of a read against `expected` (a 3-D shape means one channel). */
export function assertVoxels(t: ExecutionContext, actual: { data: TypedArray; shape: readonly number[] }, expected: { data: TypedArray; shape: readonly number[] }, message?: string): void {
  const shape = expected.shape.length === 4 ? expected.shape : [1, ...expected.shape]
  t.deepEqual([...actual.shape], [...shape], message)
  t.true(sameData(actual.data, expected.data), message ?? 'voxel data differs')
}

/** A copy of the fixture `name` in a fresh temporary directory. */
export function copyFixture(t: ExecutionContext, name: string, as = name): string {
  const target = join(tempDir(t), as)
  cpSync(join(fixturesDir, name), target, { recursive: true })
  return target
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(join(path, 'datasource-properties.json'), 'utf8'))
}

/**
 * Collects `process.emitWarning` warnings of `type` until `stop()`. Tests that use it must be
 * `test.serial`, since warnings are process-wide.
 */
export function captureWarnings(type = 'RuntimeWarning') {
  const seen: Error[] = []
  const listener = (w: Error) => {
    if (w.name === type) seen.push(w)
  }
  process.on('warning', listener)
  return {
    /** The warnings so far, after letting pending `nextTick` emissions run. */
    async count(): Promise<number> {
      await new Promise((r) => setImmediate(r))
      return seen.length
    },
    warnings: seen,
    stop: () => process.off('warning', listener),
  }
}
