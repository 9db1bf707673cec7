// The storage seam of the TypeScript side: every native call on voxel data goes through a
// MagArray, whatever the format of the mag (WKW, Zarr v3, Zarr v2); the model (View, MagView,
// Layer) never sees a file format.
import { WebknossosError, invalidArgument } from '../errors'
import { BoundingBox } from '../geometry/bounding-box'
import { type Vec3, MAX_COORDINATE, formatVec3, product } from '../geometry/vec3'
import type { HeldLock, NativeArray, ArrayInfo as NativeInfo } from '../native/binding'
import { type LongOp, runNative } from '../native/long-op'
import { native, nativeCall } from '../native/native'
import { type DType, bytesOf, dtypeSize } from './dtype'
import { targetShards } from './shards'
import { storageFor } from './location'
import { type VoxelArray, type VoxelInput, zeros } from './voxel-array'

/** Every voxel a dataset can hold: the box of whole-array copies. */
export const EVERYTHING = new BoundingBox([0, 0, 0], [MAX_COORDINATE, MAX_COORDINATE, MAX_COORDINATE])

export type DataFormat = 'wkw' | 'zarr3' | 'zarr'
export const DATA_FORMATS: readonly DataFormat[] = ['wkw', 'zarr3', 'zarr']
export type Compression = 'none' | 'lz4' | 'lz4hc' | 'zstd' | 'blosc' | 'gzip'

/** What every mag's storage reports, whatever its format. */
export interface ArrayInfo {
  readonly dataFormat: DataFormat
  readonly voxelType: DType
  readonly numChannels: number
  /** Voxels per chunk, the unit of compression (WKW: blockLen³). */
  readonly chunkShape: Vec3
  /** Voxels per shard, the unit of a file (WKW: (blockLen·fileLen)³; Zarr v2: the chunk). */
  readonly shardShape: Vec3
  readonly compression: Compression
}

/** The layout of a new array. */
export type ArraySpec = Omit<ArrayInfo, 'compression'> & { compression: Compression }

/**
 * Bytes a writer of one shard holds at most: two batches of its chunks (the native shard writer
 * encodes one while the other goes to the file), whatever the size of the shard.
 */
export const SHARD_WRITER_BYTES = 2 * (64 << 20)

/**
 * Typed arrays cannot hold more elements than this (2^32 in Node 20): a read of a larger box is
 * refused before anything is allocated.
 */
export const MAX_ELEMENTS = 2 ** 32

function toInfo(info: NativeInfo): ArrayInfo {
  const vec = (v: number[]) => Object.freeze([v[0], v[1], v[2]]) as unknown as Vec3
  return Object.freeze({
    dataFormat: info.dataFormat as DataFormat,
    voxelType: info.voxelType as DType,
    numChannels: info.numChannels,
    chunkShape: vec(info.chunkShape),
    shardShape: vec(info.shardShape),
    compression: info.compression as Compression,
  })
}

/** Checks that the box at `offset` of `size` ends within the coordinates a dataset can hold. */
export function checkBoxEnd(offset: Vec3, size: Vec3, where: string): void {
  if ([0, 1, 2].some((i) => offset[i] + size[i] > MAX_COORDINATE)) {
    throw invalidArgument(`${where}: the box at ${formatVec3(offset)} of size ${formatVec3(size)} ends beyond 2^52, the largest coordinate`)
  }
}

/**
 * One mag's array: its metadata read once, its files and shard indexes cached natively. Its
 * directory may move (a layer is renamed): the array is then opened again where it is.
 */
export class MagArray {
  #info: ArrayInfo
  #handle: NativeArray
  #openedAt: string
  #locate: () => string

  private constructor(path: string, handle: NativeArray, info: ArrayInfo) {
    this.#handle = handle
    this.#info = info
    this.#openedAt = path
    this.#locate = () => path
  }

  /** Opens the array in directory (or at URL) `path`, whatever its format; ERR_WK_NOT_FOUND without one. */
  static async open(path: string): Promise<MagArray> {
    const handle = await nativeCall(() => native.openArray(path, storageFor(path)))
    return new MagArray(path, handle, toInfo(await nativeCall(() => handle.info())))
  }

  /** Creates an array in directory `path`; ERR_WK_ALREADY_EXISTS if it holds one. */
  static async create(path: string, spec: ArraySpec): Promise<MagArray> {
    const handle = await nativeCall(() =>
      native.createArray(path, { ...spec, chunkShape: [...spec.chunkShape], shardShape: [...spec.shardShape] }, storageFor(path)),
    )
    return new MagArray(path, handle, toInfo(await nativeCall(() => handle.info())))
  }

  /** @internal From now on the array is where `locate()` says (its MagView's path, which follows renames). */
  follow(locate: () => string): void {
    this.#locate = locate
  }

  get path(): string {
    return this.#locate()
  }

  get info(): ArrayInfo {
    return this.#info
  }

  /** @internal The native handle, opened again if the directory moved; for native jobs between arrays. */
  async handle(): Promise<NativeArray> {
    const path = this.path
    if (path !== this.#openedAt) {
      const handle = await nativeCall(() => native.openArray(path, storageFor(path)))
      this.#info = toInfo(await nativeCall(() => handle.info()))
      this.#handle = handle
      this.#openedAt = path
    }
    return this.#handle
  }

  /** Bytes per voxel, all channels together. */
  get voxelSize(): number {
    return dtypeSize(this.#info.voxelType) * this.#info.numChannels
  }

  /** Reads the box at `offset` of `size`; data never written reads as zeros. */
  async read(offset: Vec3, size: Vec3): Promise<VoxelArray> {
    checkBoxEnd(offset, size, `read of "${this.path}"`)
    const { voxelType, numChannels } = this.#info
    const elements = numChannels * product(size)
    if (elements > MAX_ELEMENTS) {
      throw invalidArgument(
        `A read of ${formatVec3(size)} voxels of "${this.path}" needs ${elements} elements, more than a typed array holds (${MAX_ELEMENTS}); read it in parts`,
      )
    }
    let out: VoxelArray
    try {
      out = zeros(voxelType, numChannels, size)
    } catch (error) {
      throw new WebknossosError('ERR_WK_INVALID_ARGUMENT', `Cannot allocate ${elements} × ${voxelType} for a read of "${this.path}"`, {
        cause: error,
      })
    }
    if (elements > 0) {
      const handle = await this.handle()
      await nativeCall(() => handle.read([...offset], [...size], bytesOf(out.data)))
    }
    return out
  }

  /** Writes checked voxels of size `size` at `offset`, under the locks of the shards it touches. */
  async write(offset: Vec3, size: Vec3, data: VoxelInput): Promise<void> {
    checkBoxEnd(offset, size, `write to "${this.path}"`)
    if (product(size) === 0) return
    const handle = await this.handle()
    await nativeCall(() => handle.write([...offset], [...size], bytesOf(data.data)))
  }

  /** Shard coordinates of the shard files on disk. */
  async shards(): Promise<Vec3[]> {
    const handle = await this.handle()
    return (await nativeCall(() => handle.shards())) as unknown as Vec3[]
  }

  /** Locks the whole array against every other writer until `release()`. */
  async lockAll(): Promise<HeldLock> {
    const handle = await this.handle()
    return nativeCall(() => handle.lockAll())
  }

  /**
   * Puts the files of `replacement`, an array in a directory beside this one, in place of this
   * array's in one step and deletes the old ones; this array then reads the new files.
   */
  async replaceWith(replacement: MagArray): Promise<void> {
    const [target, from] = [await this.handle(), await replacement.handle()]
    await nativeCall(() => native.replaceArray(target, from))
    this.#info = toInfo(await nativeCall(() => target.info()))
  }

  /**
   * The shards of `target` a copy of `box` writes: those holding data of the box in a shard of
   * this array that exists.
   */
  async copyTargets(target: MagArray, box: BoundingBox): Promise<Vec3[]> {
    return targetShards(await this.shards(), this.#info.shardShape, box, (part) => part, box, target.info.shardShape)
  }

  /** Copies `box` into `shards` of `target` (see `copyTargets`), each written whole: zeros outside the box. */
  async copyTo(target: MagArray, box: BoundingBox, shards: readonly Vec3[], opts?: LongOp): Promise<void> {
    const list = shards.map((s) => [...s]) as [number, number, number][]
    const [from, to] = [await this.handle(), await target.handle()]
    await runNative(opts, (flag, onProgress, jobs) => native.copyArray(from, to, [...box.topLeft], [...box.size], list, jobs, onProgress, flag))
  }
}
