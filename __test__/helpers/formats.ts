// The storage formats every format-independent test runs on.
import type { DataFormat, Layer, MagView } from '../../index'

export const FORMATS: readonly DataFormat[] = ['wkw', 'zarr3', 'zarr']

/** A compressed mag 1 of `layer` whose shards hold `edge`³ voxels, in chunks of 32³ where the format has both. */
export function compressedMag(layer: Layer, format: DataFormat, edge: number): Promise<MagView> {
  if (format === 'zarr') return layer.addMag(1, { chunkShape: edge, compress: true })
  return layer.addMag(1, { chunkShape: 32, shardShape: edge, compress: true })
}
