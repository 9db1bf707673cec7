import type { DType, TypedArray } from '../../index'
import { arrayType } from '../../lib/storage/dtype'

/** Deterministic pseudo-random values of `dtype` (xorshift over all bits), finite for floats. */
export function randomArray(dtype: DType, length: number, seed = 1): TypedArray {
  const type = arrayType(dtype)
  const words = new Uint32Array(Math.ceil((length * type.BYTES_PER_ELEMENT) / 4))
  let state = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    words[i] = state
  }
  const array = new type(words.buffer, 0, length)
  if (dtype === 'float32' || dtype === 'float64') {
    for (let i = 0; i < array.length; i++) if (!Number.isFinite(array[i] as number)) array[i] = i
  }
  return array
}

/** The typed array `data` reinterpreted as bytes. */
export const bytes = (data: TypedArray): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
