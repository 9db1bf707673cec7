// Parsers of option values. Each throws commander's InvalidArgumentError, which commander reports
// as a usage error naming the option, before the command runs.
import { InvalidArgumentError } from 'commander'
import { BoundingBox, Mag } from '../../index'

const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

function parts(value: string, count: number, what: string): string[] {
  const items = value.split(',').map((s) => s.trim())
  if (items.length !== count || items.some((s) => s === '')) {
    throw new InvalidArgumentError(`Expected ${what}, got "${value}".`)
  }
  return items
}

/** A positive integer, e.g. `--jobs 4`. */
export function parsePositiveInt(value: string): number {
  const n = Number(value)
  if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`Expected a positive integer, got "${value}".`)
  }
  return n
}

/** A TCP port, 0 to 65535 (0: any free one), e.g. `--port 8000`. */
export function parsePort(value: string): number {
  const n = Number(value)
  if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`Expected a port from 0 to 65535, got "${value}".`)
  }
  return n
}

/** "x,y,z" of positive numbers, e.g. `--scale 11.24,11.24,28`. */
export function parseScale(value: string): [number, number, number] {
  const items = parts(value, 3, 'three positive numbers "x,y,z"')
  const v = items.map(Number)
  if (!items.every((s) => NUMBER.test(s)) || !v.every((c) => Number.isFinite(c) && c > 0)) {
    throw new InvalidArgumentError(`Expected three positive numbers "x,y,z", got "${value}".`)
  }
  return v as [number, number, number]
}

/** "x,y,z" of integers ≥ `min`. */
export function parseIntVec3(value: string, min = 0): [number, number, number] {
  const items = parts(value, 3, `three integers "x,y,z"`)
  const v = items.map(Number)
  if (!items.every((s) => INTEGER.test(s)) || !v.every((c) => Number.isSafeInteger(c) && c >= min)) {
    throw new InvalidArgumentError(`Expected three integers >= ${min} "x,y,z", got "${value}".`)
  }
  return v as [number, number, number]
}

/** A mag: "2", "2-2-1" or "2,2,1"; every component a power of two. */
export function parseMag(value: string): Mag {
  const text = value.trim()
  try {
    if (text.includes(',')) return new Mag(parseIntVec3(text, 1))
    return new Mag(text)
  } catch {
    throw new InvalidArgumentError(`Expected a mag such as "2" or "2-2-1" (powers of two), got "${value}".`)
  }
}

/** Collects a repeatable `--mag` option. */
export function collectMag(value: string, previous: Mag[] | undefined): Mag[] {
  return [...(previous ?? []), parseMag(value)]
}

/** Collects a repeatable string option such as `--layer`. */
export function collectString(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** "x,y,z,width,height,depth" in mag-1 voxels: a non-negative top-left corner and a positive size. */
export function parseBoundingBox(value: string): BoundingBox {
  const items = parts(value, 6, 'six integers "x,y,z,width,height,depth"')
  const v = items.map(Number)
  if (!items.every((s) => INTEGER.test(s)) || !v.every((c) => Number.isSafeInteger(c))) {
    throw new InvalidArgumentError(`Expected six integers "x,y,z,width,height,depth", got "${value}".`)
  }
  if (v.slice(0, 3).some((c) => c < 0)) throw new InvalidArgumentError(`The top-left corner must not be negative, got "${value}".`)
  if (v.slice(3).some((c) => c < 1)) throw new InvalidArgumentError(`Width, height and depth must be positive, got "${value}".`)
  return new BoundingBox([v[0], v[1], v[2]], [v[3], v[4], v[5]])
}

/** A non-empty name that can be a directory name (layer names, dataset names, file prefixes). */
export function parseName(value: string): string {
  if (value === '' || /[/\\\0]/.test(value) || value.startsWith('.')) {
    throw new InvalidArgumentError(`Expected a name without "/" that does not start with ".", got "${value}".`)
  }
  return value
}

/** A shape: "32" (a cube) or "x,y,z", positive integers. */
export function parseShape(value: string): [number, number, number] {
  const text = value.trim()
  if (!text.includes(',')) {
    const n = parsePositiveInt(text)
    return [n, n, n]
  }
  return parseIntVec3(text, 1)
}
