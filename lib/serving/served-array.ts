// One mag as the server shows it: a read-only Zarr v3 array. A Zarr v3 mag on disk is shown as it
// is stored (its `zarr.json`, its shard files with byte ranges, so chunks leave as they were
// compressed); any other mag (WKW, Zarr v2) as an unsharded Zarr v3 array of its own chunks,
// uncompressed, each decoded once on native threads. The voxel layout of those chunks is the one
// of our reads (channels, then x fastest), which the `transpose` codec [3, 2, 1, 0] declares, as
// the Python library declares it for the Zarr v3 arrays it writes.
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { BoundingBox } from '../geometry/bounding-box'
import type { Vec3 } from '../geometry/vec3'
import type { MagView } from '../model/mag-view'
import { readText } from '../storage/files'

/** What a request for a chunk key gets: a file to send (with ranges), or bytes made for it. */
export type ChunkSource = { kind: 'file'; path: string } | { kind: 'bytes'; data: Uint8Array } | undefined

const ZARR_DATA_TYPES: Record<string, string> = {
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float32',
  float64: 'float64',
}

/** A chunk key of the default encoding: `c/<channel>/<x>/<y>/<z>`, non-negative integers only. */
function chunkCoordinates(key: readonly string[]): [number, number, number, number] | undefined {
  if (key.length !== 5 || key[0] !== 'c' || !key.slice(1).every((k) => /^(0|[1-9][0-9]{0,8})$/.test(k))) return undefined
  return key.slice(1).map(Number) as [number, number, number, number]
}

export class ServedArray {
  readonly #view: MagView
  readonly #metadata: Record<string, unknown>
  readonly #passThrough: boolean

  private constructor(view: MagView, metadata: Record<string, unknown>, passThrough: boolean) {
    this.#view = view
    this.#metadata = metadata
    this.#passThrough = passThrough
  }

  /** The mag of a layer whose box (in mag-1 voxels) is `box`. */
  static async of(view: MagView, box: BoundingBox): Promise<ServedArray> {
    const { dataFormat, voxelType, numChannels, chunkShape } = view.info
    if (dataFormat === 'zarr3') {
      const metadata = JSON.parse(await readText(join(view.path, 'zarr.json'))) as Record<string, unknown>
      return new ServedArray(view, metadata, true)
    }
    const end = box.alignWithMag(view.mag, { ceil: true }).inMag(view.mag).bottomRight
    const metadata = {
      zarr_format: 3,
      node_type: 'array',
      shape: [numChannels, ...end.map((e) => Math.max(e, 0))],
      data_type: ZARR_DATA_TYPES[voxelType],
      chunk_grid: { name: 'regular', configuration: { chunk_shape: [numChannels, ...chunkShape] } },
      chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
      fill_value: 0,
      codecs: [
        { name: 'transpose', configuration: { order: [3, 2, 1, 0] } },
        { name: 'bytes', configuration: { endian: 'little' } },
      ],
      dimension_names: ['c', 'x', 'y', 'z'],
    }
    return new ServedArray(view, metadata, false)
  }

  get metadata(): Record<string, unknown> {
    return this.#metadata
  }

  /** The array's shape, [c, x, y, z]. */
  get shape(): number[] {
    return this.#metadata.shape as number[]
  }

  /** What `key` (the path below the array) names; undefined for anything but a chunk of the array. */
  async chunk(key: readonly string[]): Promise<ChunkSource> {
    const at = chunkCoordinates(key)
    if (at === undefined) return undefined
    if (this.#passThrough) {
      const path = join(this.#view.path, ...key)
      const info = await stat(path).catch(() => undefined)
      return info?.isFile() ? { kind: 'file', path } : undefined
    }
    const [channel, ...cell] = at
    const chunk = this.#view.info.chunkShape
    const shape = this.shape
    if (channel !== 0 || cell.some((c, i) => c * chunk[i] >= shape[i + 1])) return undefined
    const offset = cell.map((c, i) => c * chunk[i]) as unknown as Vec3
    const voxels = await this.#view.array.read(offset, chunk)
    return { kind: 'bytes', data: new Uint8Array(voxels.data.buffer, voxels.data.byteOffset, voxels.data.byteLength) }
  }
}
