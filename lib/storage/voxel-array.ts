import { type DType, type TypedArray, allocate, checkArrayType } from './dtype'
import { invalidArgument } from '../errors'
import { type Vec3, product } from '../geometry/vec3'

/**
 * Voxels of a box: channels interleaved, then x fastest, then y, then z. This is the memory
 * order inside a WKW block, so reads and writes need no transposition.
 */
export interface VoxelArray<T extends TypedArray = TypedArray> {
  data: T
  shape: [c: number, x: number, y: number, z: number]
  stride: [1, number, number, number]
  dtype: DType
}

/** What `write` accepts: a `VoxelArray`, or data with an (x, y, z) or (c, x, y, z) shape. */
export type VoxelInput = VoxelArray | { data: TypedArray; shape: readonly number[] }

export function voxelArray<T extends TypedArray>(data: T, dtype: DType, channels: number, size: Vec3): VoxelArray<T> {
  const [x, y, z] = size
  return { data, shape: [channels, x, y, z], stride: [1, channels, channels * x, channels * x * y], dtype }
}

export function zeros(dtype: DType, channels: number, size: Vec3): VoxelArray {
  return voxelArray(allocate(dtype, channels * product(size)), dtype, channels, size)
}

/**
 * Checks `input` against a layer's dtype and channel count and returns its (x, y, z) size. Any
 * mismatch is `ERR_WK_INVALID_ARGUMENT`, raised before anything is written.
 */
export function checkInput(input: VoxelInput, dtype: DType, channels: number, where: string): Vec3 {
  if (input === null || typeof input !== 'object' || !Array.isArray(input.shape)) {
    throw invalidArgument(`${where}: expected { data, shape }, got ${String(input)}`)
  }
  checkArrayType(input.data, dtype, where)
  const shape: readonly number[] = input.shape
  if ((shape.length !== 3 && shape.length !== 4) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw invalidArgument(`${where}: shape must be (x, y, z) or (c, x, y, z), but is [${shape.join(', ')}]`)
  }
  const c = shape.length === 4 ? shape[0] : 1
  const size = shape.slice(-3) as unknown as Vec3
  if (c !== channels) {
    throw invalidArgument(`${where}: data has ${c} channel(s), but the layer has ${channels}`)
  }
  const length = c * product(size)
  if (input.data.length !== length) {
    throw invalidArgument(`${where}: data has ${input.data.length} elements, but shape [${shape.join(', ')}] needs ${length}`)
  }
  return size
}
