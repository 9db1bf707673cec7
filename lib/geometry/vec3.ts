import { invalidArgument } from '../errors'

export type Vec3 = readonly [number, number, number]

/**
 * The largest voxel coordinate (exclusive end) a dataset can hold: 2^52, so that every
 * coordinate and the sum of two stay exact as JavaScript numbers. The native core checks it too.
 */
export const MAX_COORDINATE = 2 ** 52

/** Checks that `value` is three integers (at least `min` each) and returns a copy. */
export function toVec3(value: unknown, name: string, min = 0): Vec3 {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw invalidArgument(`${name} must be three integers, but is ${String(value)}`)
  }
  const v = Array.from(value as ArrayLike<unknown>)
  if (v.length !== 3 || !v.every((c) => Number.isSafeInteger(c) && (c as number) >= min)) {
    throw invalidArgument(`${name} must be three integers >= ${min}, but is [${v.join(', ')}]`)
  }
  return v as unknown as Vec3
}

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
export const mul = (a: Vec3, b: Vec3): Vec3 => [a[0] * b[0], a[1] * b[1], a[2] * b[2]]
export const product = (v: Vec3): number => v[0] * v[1] * v[2]
export const vecEquals = (a: Vec3, b: Vec3): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2]
export const formatVec3 = (v: Vec3): string => `(${v.join(', ')})`
export const min = (a: Vec3, b: Vec3): Vec3 => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.min(a[2], b[2])]
export const max = (a: Vec3, b: Vec3): Vec3 => [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])]
