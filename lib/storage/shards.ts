// Which shards an operation writes. Jobs (downsampling, copies, compression) write whole target
// shards; the TypeScript side plans them, so that progress totals, tasks of executors and
// resumed runs all count the same shards, and the native jobs run exactly the shards given.
import { BoundingBox } from '../geometry/bounding-box'
import type { Vec3 } from '../geometry/vec3'

const key = (s: Vec3) => `${s[0]},${s[1]},${s[2]}`

/** The shards of a grid of shape `shape` that `box` touches. */
export function shardsOf(box: BoundingBox, shape: Vec3): Vec3[] {
  if (box.isEmpty()) return []
  const lo = [0, 1, 2].map((i) => Math.floor(box.topLeft[i] / shape[i]))
  const hi = [0, 1, 2].map((i) => Math.floor((box.bottomRight[i] - 1) / shape[i]))
  const shards: Vec3[] = []
  for (let z = lo[2]; z <= hi[2]; z++) for (let y = lo[1]; y <= hi[1]; y++) for (let x = lo[0]; x <= hi[0]; x++) shards.push([x, y, z])
  return shards
}

/** The box of shard `shard` of a grid of shape `shape`. */
export function shardBox(shard: Vec3, shape: Vec3): BoundingBox {
  return new BoundingBox([shard[0] * shape[0], shard[1] * shape[1], shard[2] * shape[2]], shape)
}

/**
 * The target shards (grid `targetShape`, within `targetBox`) that hold voxels made from the
 * source shards `sourceShards` (grid `sourceShape`, within `sourceBox`): target voxels whose
 * source has no shard are all zeros, and such shards are not written. `toTarget` maps a box of
 * source voxels to the target voxels it contributes to. Sorted by z, then y, then x.
 */
export function targetShards(
  sourceShards: readonly Vec3[],
  sourceShape: Vec3,
  sourceBox: BoundingBox,
  toTarget: (part: BoundingBox) => BoundingBox,
  targetBox: BoundingBox,
  targetShape: Vec3,
): Vec3[] {
  const found = new Map<string, Vec3>()
  for (const shard of sourceShards) {
    const part = shardBox(shard, sourceShape).intersectedWith(sourceBox)
    if (part.isEmpty()) continue
    for (const target of shardsOf(toTarget(part).intersectedWith(targetBox), targetShape)) found.set(key(target), target)
  }
  return [...found.values()].sort((a, b) => a[2] - b[2] || a[1] - b[1] || a[0] - b[0])
}
