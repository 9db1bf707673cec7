// Which mags a downsampling or upsampling creates: today's anisotropic ladder ("auto"), the
// isotropic one and constant z, as in webknossos-libs (deliberate difference 1 of the contract).
import { invalidArgument } from '../errors'
import { Mag, type MagLike, toMag } from '../geometry/mag'
import type { Vec3 } from '../geometry/vec3'

export type SamplingMode = 'auto' | 'isotropic' | 'constant_z'

export const SAMPLING_MODES: readonly SamplingMode[] = ['auto', 'isotropic', 'constant_z']

/** The coarsest mag by default: about 100 voxels along the larger of x and y, at least 4. */
export function defaultMaxMag(size: Vec3): Mag {
  const largest = Math.max(size[0], size[1])
  if (!(largest > 0)) throw invalidArgument(`Cannot choose a default maxMag for a layer of size (${size.join(', ')})`)
  return new Mag(Math.max(2 ** Math.ceil(Math.log2(largest / 100)), 4))
}

const clamp = (v: Vec3, limit: Mag): Mag => new Mag([Math.min(v[0], limit.x), Math.min(v[1], limit.y), Math.min(v[2], limit.z)])

/**
 * The mags after `from` up to `coarsest`. Without a voxel size every step doubles all axes; with
 * one, a step doubles either all axes or only the physically finest ones, whichever leaves the
 * voxels closer to cubes (ties: only the finest). Steps are clamped to `coarsest`, and a step that
 * would not change the largest component is merged into the next, so every mag has its own
 * `maxDim`.
 */
export function magsToDownsample(from: Mag, coarsest: Mag, voxelSize: Vec3 | undefined): Mag[] {
  if (from.x > coarsest.x || from.y > coarsest.y || from.z > coarsest.z) {
    throw invalidArgument(`Mag ${from} is not finer than the coarsest mag ${coarsest} on every axis`)
  }
  const mags: Mag[] = []
  let current = from
  while (current.maxDim < coarsest.maxDim) {
    let next: Mag
    if (!voxelSize) {
      next = clamp([current.x * 2, current.y * 2, current.z * 2], coarsest)
    } else {
      const size = [current.x * voxelSize[0], current.y * voxelSize[1], current.z * voxelSize[2]]
      const finest = Math.min(...size)
      const factor = size.map((s) => (s === finest ? 2 : 1))
      const ratio = (v: number[]) => Math.max(...v) / Math.min(...v)
      const all = size.map((s) => s * 2)
      const onlyFinest = size.map((s, i) => s * factor[i])
      if (ratio(all) < ratio(onlyFinest)) {
        next = clamp([current.x * 2, current.y * 2, current.z * 2], coarsest)
      } else {
        next = clamp([current.x * factor[0], current.y * factor[1], current.z * factor[2]], coarsest)
        if (next.maxDim === current.maxDim && !next.equals(current)) {
          current = next
          continue
        }
      }
    }
    if (next.equals(current)) throw invalidArgument(`The coarsest mag ${coarsest} cannot be reached from ${current} with voxel size (${voxelSize?.join(', ')})`)
    current = next
    mags.push(current)
  }
  return mags
}

/** The mags from `from` (exclusive) down to `finest`: the downsampling ladder walked backwards. */
export function magsToUpsample(from: Mag, finest: Mag, voxelSize: Vec3 | undefined): Mag[] {
  if (from.equals(finest)) return []
  return [...magsToDownsample(finest, from, voxelSize).reverse().slice(1), finest]
}

/** The coarsest mag and the voxel size that drive the ladder of `mode`. */
export function samplingSetup(mode: SamplingMode, from: Mag, coarsest: Mag, scale: Vec3): { coarsest: Mag; voxelSize: Vec3 | undefined } {
  switch (mode) {
    case 'auto':
      return { coarsest, voxelSize: scale }
    case 'isotropic':
      return { coarsest, voxelSize: undefined }
    case 'constant_z':
      return { coarsest: new Mag([coarsest.x, coarsest.y, from.z]), voxelSize: undefined }
    default:
      throw invalidArgument(`samplingMode must be one of ${SAMPLING_MODES.join(', ')}, but is ${JSON.stringify(mode)}`)
  }
}

/**
 * Target mags of `downsampleMagList` in the order they are made: sorted by their components, each
 * at most its successor on every axis.
 */
export function orderMagList(mags: readonly Mag[]): Mag[] {
  const sorted = [...mags].sort((a, b) => a.x - b.x || a.y - b.y || a.z - b.z)
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]]
    if (a.x > b.x || a.y > b.y || a.z > b.z) {
      throw invalidArgument(`The target mags cannot be made one from the other: ${a} is not finer than ${b} on every axis`)
    }
  }
  return sorted
}

/**
 * The mags a downsampling from `from` creates along the ladder of `samplingMode`, up to
 * `maxMag` (default: about 100 voxels along x and y of a layer of `size`).
 */
export function downsamplingMags(from: Mag, opts: { maxMag?: MagLike; samplingMode?: SamplingMode; scale: Vec3; size: Vec3 }): { maxMag: Mag; mags: Mag[] } {
  const maxMag = opts.maxMag !== undefined ? toMag(opts.maxMag) : defaultMaxMag(opts.size)
  const { coarsest, voxelSize } = samplingSetup(opts.samplingMode ?? 'auto', from, maxMag, opts.scale)
  return { maxMag, mags: magsToDownsample(from, coarsest, voxelSize) }
}
