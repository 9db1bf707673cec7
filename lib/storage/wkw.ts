import { WebknossosError, invalidArgument } from '../errors'
import { type Vec3, formatVec3, toVec3 } from '../geometry/vec3'
import { type LongOp, checkLongOp } from '../native/long-op'
import { type DType, isDType } from './dtype'
import { type ArrayInfo, type Compression, EVERYTHING, MagArray } from './mag-array'
import { type VoxelArray, type VoxelInput, checkInput } from './voxel-array'

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

const BLOCK_TYPES: Record<string, BlockType> = { none: 'raw', lz4: 'lz4', lz4hc: 'lz4hc' }

/** The WKW header that describes a WKW array's layout. */
export function headerOf(info: ArrayInfo): WkwHeader {
  const blockType = BLOCK_TYPES[info.compression]
  if (info.dataFormat !== 'wkw' || !blockType) {
    throw invalidArgument(`A ${info.dataFormat} array has no WKW header; use its info (ArrayInfo) instead`)
  }
  const blockLen = info.chunkShape[0]
  return Object.freeze({ version: 1, blockLen, fileLen: info.shardShape[0] / blockLen, blockType, voxelType: info.voxelType, numChannels: info.numChannels })
}

/** Checks a block or file length: an integer power of two from 1 to `max`. */
export function checkLength(value: unknown, name: string, max: number): number {
  if (!(Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= max && ((value as number) & ((value as number) - 1)) === 0)) {
    throw invalidArgument(`${name} must be a power of two from 1 to ${max}, but is ${String(value)}`)
  }
  return value as number
}

const COMPRESSION: Record<BlockType, Compression> = { raw: 'none', lz4: 'lz4', lz4hc: 'lz4hc' }

/**
 * One WKW directory (`header.wkw` plus `z*\/y*\/x*.wkw` data files), like the Python `wkw`
 * package's `Dataset`. Offsets and shapes are voxels of this directory.
 */
export class WkwDataset {
  #closed = false

  private constructor(private readonly array: MagArray) {}

  /** Creates `dir` and its `header.wkw`; `ERR_WK_ALREADY_EXISTS` if the header exists. */
  static async create(dir: string, header: Partial<WkwHeader> & Pick<WkwHeader, 'voxelType'>): Promise<WkwDataset> {
    const full = { version: 1, blockLen: 32, fileLen: 32, blockType: 'raw' as BlockType, numChannels: 1, ...header }
    if (!isDType(full.voxelType)) throw invalidArgument(`voxelType must be a WKW voxel type, but is ${String(full.voxelType)}`)
    if (full.version !== 1) throw invalidArgument(`WKW version must be 1, but is ${String(full.version)}`)
    const blockLen = checkLength(full.blockLen, 'blockLen', 1024)
    const fileLen = checkLength(full.fileLen, 'fileLen', 128)
    const compression = COMPRESSION[full.blockType]
    if (!compression) throw invalidArgument(`blockType must be raw, lz4 or lz4hc, but is ${String(full.blockType)}`)
    if (!(Number.isSafeInteger(full.numChannels) && full.numChannels >= 1 && full.numChannels <= 255)) {
      throw invalidArgument(`numChannels must be an integer from 1 to 255, but is ${String(full.numChannels)}`)
    }
    const edge = blockLen * fileLen
    const array = await MagArray.create(dir, {
      dataFormat: 'wkw',
      voxelType: full.voxelType,
      numChannels: full.numChannels,
      chunkShape: [blockLen, blockLen, blockLen],
      shardShape: [edge, edge, edge],
      compression,
    })
    return new WkwDataset(array)
  }

  /** Opens `dir`; `ERR_WK_NOT_FOUND` without `header.wkw`. */
  static async open(dir: string): Promise<WkwDataset> {
    const array = await MagArray.open(dir)
    if (array.info.dataFormat !== 'wkw') throw new WebknossosError('ERR_WK_NOT_FOUND', `"${dir}" holds a ${array.info.dataFormat} array, not WKW`)
    return new WkwDataset(array)
  }

  get path(): string {
    return this.array.path
  }

  get header(): WkwHeader {
    return headerOf(this.array.info)
  }

  /** Reads the box at `offset` of size `shape` (x, y, z); missing data reads as 0. */
  async read(offset: Vec3, shape: Vec3): Promise<VoxelArray> {
    this.#checkOpen()
    return this.array.read(toVec3(offset, 'offset'), toVec3(shape, 'shape'))
  }

  /**
   * Writes `data` at `offset`. Compressed datasets take only boxes made of whole files, as the
   * reference does.
   */
  async write(offset: Vec3, data: VoxelInput): Promise<void> {
    this.#checkOpen()
    const at = toVec3(offset, 'offset')
    const { voxelType, numChannels, compression, shardShape } = this.array.info
    const size = checkInput(data, voxelType, numChannels, `write to "${this.path}"`)
    const edge = shardShape[0]
    if (compression !== 'none' && [0, 1, 2].some((i) => at[i] % edge !== 0 || size[i] % edge !== 0)) {
      throw invalidArgument(
        `When writing compressed files, each file has to be written as a whole (files of ${edge}³ voxels in "${this.path}", box at ${formatVec3(at)} of size ${formatVec3(size)}). ` +
          'Please pad your data so that all cubes are complete and the write position is block-aligned.',
      )
    }
    await this.array.write(at, size, data)
  }

  /** Compresses every data file with LZ4HC into a new dataset at `targetDir`. */
  async compress(targetDir: string, opts?: LongOp): Promise<WkwDataset> {
    this.#checkOpen()
    checkLongOp(opts)
    const target = await WkwDataset.create(targetDir, { ...this.header, blockType: 'lz4hc' })
    await this.array.copyTo(target.array, EVERYTHING, await this.array.copyTargets(target.array, EVERYTHING), opts)
    return target
  }

  /** Bytes per voxel, all channels together. */
  get voxelSize(): number {
    return this.array.voxelSize
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #checkOpen(): void {
    if (this.#closed) throw new WebknossosError('ERR_WK_INVALID_ARGUMENT', `WKW dataset "${this.path}" is closed`)
  }
}
