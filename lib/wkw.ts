import { type DType, bytesOf, dtypeSize, isDType } from './dtype'
import { WebknossosError, invalidArgument } from './errors'
import { type LongOp, runNative } from './long-op'
import { type NativeHeader, native, nativeCall } from './native'
import { type Vec3, product, toVec3 } from './vec3'
import { type VoxelArray, type VoxelInput, checkInput, zeros } from './voxel-array'

export type BlockType = 'raw' | 'lz4' | 'lz4hc'

export interface WkwHeader {
  version: 1
  /** Voxels per block edge. */
  blockLen: number
  /** Blocks per file edge. */
  fileLen: number
  blockType: BlockType
  voxelType: DType
  numChannels: number
}

export function toHeader(h: NativeHeader): WkwHeader {
  return Object.freeze({ ...h, version: 1, blockType: h.blockType as BlockType, voxelType: h.voxelType as DType })
}

/** How many data files of a directory with header `header` the box touches. */
export function filesTouched(box: { topLeft: Vec3; size: Vec3 }, header: WkwHeader): number {
  const edge = header.blockLen * header.fileLen
  if (box.size.some((s) => s <= 0)) return 0
  return [0, 1, 2].reduce((n, i) => n * (Math.floor((box.topLeft[i] + box.size[i] - 1) / edge) - Math.floor(box.topLeft[i] / edge) + 1), 1)
}

/** Reads a box of the WKW directory `path` (with header `header`); missing data reads as 0. */
export async function readBox(path: string, header: WkwHeader, offset: Vec3, size: Vec3): Promise<VoxelArray> {
  const out = zeros(header.voxelType, header.numChannels, size)
  if (product(size) > 0) await nativeCall(() => native.wkwRead(path, [...offset], [...size], bytesOf(out.data)))
  return out
}

/**
 * Writes checked voxels of size `size` at `offset`. With `padCompressed`, an unaligned write to
 * compressed files keeps the rest of each file instead of failing.
 */
export async function writeBox(path: string, offset: Vec3, size: Vec3, data: VoxelInput, padCompressed: boolean): Promise<void> {
  if (product(size) === 0) return
  await nativeCall(() => native.wkwWrite(path, [...offset], [...size], bytesOf(data.data), padCompressed))
}

/**
 * One WKW directory (`header.wkw` plus `z*\/y*\/x*.wkw` data files), like the Python `wkw`
 * package's `Dataset`. Offsets and shapes are voxels of this directory.
 */
export class WkwDataset {
  #closed = false

  private constructor(
    readonly path: string,
    readonly header: WkwHeader,
  ) {}

  /** Creates `dir` and its `header.wkw`; `ERR_WK_ALREADY_EXISTS` if the header exists. */
  static async create(dir: string, header: Partial<WkwHeader> & Pick<WkwHeader, 'voxelType'>): Promise<WkwDataset> {
    const full = { version: 1, blockLen: 32, fileLen: 32, blockType: 'raw', numChannels: 1, ...header }
    if (!isDType(full.voxelType)) throw invalidArgument(`voxelType must be a WKW voxel type, but is ${String(full.voxelType)}`)
    const created = await nativeCall(() => native.wkwCreate(dir, full))
    return new WkwDataset(dir, toHeader(created))
  }

  /** Opens `dir`; `ERR_WK_NOT_FOUND` without `header.wkw`. */
  static async open(dir: string): Promise<WkwDataset> {
    return new WkwDataset(dir, toHeader(await nativeCall(() => native.wkwOpen(dir))))
  }

  /** Reads the box at `offset` of size `shape` (x, y, z); missing data reads as 0. */
  async read(offset: Vec3, shape: Vec3): Promise<VoxelArray> {
    this.#checkOpen()
    return readBox(this.path, this.header, toVec3(offset, 'offset'), toVec3(shape, 'shape'))
  }

  /**
   * Writes `data` at `offset`. Compressed datasets take only boxes made of whole files, as the
   * reference does.
   */
  async write(offset: Vec3, data: VoxelInput): Promise<void> {
    this.#checkOpen()
    const at = toVec3(offset, 'offset')
    const size = checkInput(data, this.header.voxelType, this.header.numChannels, `write to "${this.path}"`)
    await writeBox(this.path, at, size, data, false)
  }

  /** Compresses every data file with LZ4HC into a new dataset at `targetDir`. */
  async compress(targetDir: string, opts?: LongOp): Promise<WkwDataset> {
    this.#checkOpen()
    const header = await runNative(opts, (flag, onProgress, jobs) =>
      native.wkwCompress(this.path, targetDir, jobs, onProgress, flag),
    )
    return new WkwDataset(targetDir, toHeader(header))
  }

  /** Bytes per voxel, all channels together. */
  get voxelSize(): number {
    return dtypeSize(this.header.voxelType) * this.header.numChannels
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #checkOpen(): void {
    if (this.#closed) throw new WebknossosError('ERR_WK_INVALID_ARGUMENT', `WKW dataset "${this.path}" is closed`)
  }
}
