import { invalidArgument } from '../errors'

export type DType = 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64'

export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array

type TypedArrayConstructor = {
  new (length: number): TypedArray
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray
  readonly BYTES_PER_ELEMENT: number
  readonly name: string
}

const ARRAY_TYPES: Record<DType, TypedArrayConstructor> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
}

export const DTYPES = Object.keys(ARRAY_TYPES) as DType[]

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && value in ARRAY_TYPES
}

export function dtypeSize(dtype: DType): number {
  return ARRAY_TYPES[dtype].BYTES_PER_ELEMENT
}

/** The typed array class holding elements of `dtype`. */
export function arrayType(dtype: DType): TypedArrayConstructor {
  return ARRAY_TYPES[dtype]
}

/** A zero-filled typed array of `length` elements of `dtype`. */
export function allocate(dtype: DType, length: number): TypedArray {
  return new ARRAY_TYPES[dtype](length)
}

/** Fails unless `data` is the typed array type of `dtype`. */
export function checkArrayType(data: unknown, dtype: DType, where: string): asserts data is TypedArray {
  const expected = ARRAY_TYPES[dtype]
  if (!(data instanceof expected)) {
    const got = ArrayBuffer.isView(data) ? data.constructor.name : typeof data
    throw invalidArgument(`${where}: data must be a ${expected.name} for dtype ${dtype}, but is a ${got}`)
  }
}

/** The bytes of a typed array, without copying. */
export function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
