import { BoundingBox } from '../geometry/bounding-box'
import { runChunkJobs } from './chunk-jobs'
import { WebknossosError, invalidArgument } from '../errors'
import type { LongOp } from '../native/long-op'
import { type Vec3, add, formatVec3, sub, toVec3 } from '../geometry/vec3'
import type { ArrayInfo, MagArray } from '../storage/mag-array'
import { type VoxelArray, type VoxelInput, checkInput } from '../storage/voxel-array'
import { type WkwHeader, headerOf } from '../storage/wkw'

const ORIGIN: Vec3 = [0, 0, 0]

/** Chunk sizes must be powers of two and multiples of 32 on each axis, as in the reference. */
function checkChunkSize(value: unknown, name: string): Vec3 {
  const size = toVec3(value, name, 1)
  if (!size.every((s) => s >= 32 && (s & (s - 1)) === 0)) {
    throw invalidArgument(`${name} must be a power of two and a multiple of 32 on each axis, but is ${formatVec3(size)}`)
  }
  return size
}

/**
 * A box of one mag of a layer. Offsets are relative to `globalOffset` and in the voxels of the
 * mag. A bounded view refuses access outside its box; a read-only view refuses writes.
 */
export class View {
  readonly #array: MagArray
  readonly #size: Vec3
  readonly #magBoundingBox: () => BoundingBox

  /**
   * @internal `magBoundingBox` is the layer's box in the mag's voxels, which decides
   * compressed-write warnings: a snapshot taken when the view was created.
   */
  constructor(
    array: MagArray,
    readonly globalOffset: Vec3,
    size: Vec3,
    readonly readOnly: boolean,
    private readonly bounded: boolean,
    magBoundingBox: () => BoundingBox,
  ) {
    this.#array = array
    this.#size = size
    this.#magBoundingBox = magBoundingBox
  }

  /** @internal The mag's array, which every read and write goes through. */
  get array(): MagArray {
    return this.#array
  }

  protected magBoundingBox(): BoundingBox {
    return this.#magBoundingBox()
  }

  get size(): Vec3 {
    return this.#size
  }

  /** The layout of the mag's storage, whatever its format. */
  get info(): ArrayInfo {
    return this.#array.info
  }

  /** The WKW header of a WKW mag (other formats have none: use `info`). */
  get header(): WkwHeader {
    return headerOf(this.#array.info)
  }

  /** Reads `size` voxels at `offset` (relative to `globalOffset`); the whole view by default. */
  async read(opts: { offset?: Vec3; size?: Vec3 } = {}): Promise<VoxelArray> {
    const offset = toVec3(opts.offset ?? ORIGIN, 'offset')
    const size = toVec3(opts.size ?? this.size, 'size', 1)
    this.checkBounds(offset, size)
    return this.#array.read(add(this.globalOffset, offset), size)
  }

  /** Reads `bbox` (relative to `globalOffset`), or the whole view. */
  async readBbox(bbox?: BoundingBox): Promise<VoxelArray> {
    return bbox ? this.read({ offset: bbox.topLeft, size: bbox.size }) : this.read()
  }

  /** Writes `data` at `offset` (relative to `globalOffset`). */
  async write(data: VoxelInput, opts: { offset?: Vec3 } = {}): Promise<void> {
    await this.writeBox(this.checkWrite(data, opts), data)
  }

  /** @internal Refuses a write-like operation of a read-only view. */
  protected refuseWrite(what: string): never {
    throw new WebknossosError('ERR_WK_READ_ONLY', `Cannot do ${what} of the read-only view of "${this.#array.path}"`)
  }

  /** Checks a write before anything is written; returns its box (absolute, in the mag's voxels). */
  protected checkWrite(data: VoxelInput, opts: { offset?: Vec3 }): BoundingBox {
    if (this.readOnly) this.refuseWrite('a write')
    const { voxelType, numChannels } = this.#array.info
    const size = checkInput(data, voxelType, numChannels, `write to "${this.#array.path}"`)
    toVec3(size, 'size of the data', 1)
    const offset = toVec3(opts.offset ?? ORIGIN, 'offset')
    this.checkBounds(offset, size)
    return new BoundingBox(add(this.globalOffset, offset), size)
  }

  /** Writes checked `data` covering `box`. */
  protected async writeBox(box: BoundingBox, data: VoxelInput): Promise<void> {
    this.#warnUnalignedCompressedWrite(box)
    await this.#array.write(box.topLeft, box.size, data)
  }

  /**
   * Warns, as the reference does, when a write into compressed shards covers them only in part
   * away from the border of the layer's box: each such shard is read, changed and written whole.
   */
  #warnUnalignedCompressedWrite(box: BoundingBox): void {
    const { compression, shardShape } = this.#array.info
    if (compression === 'none') return
    const aligned = (v: number, i: number) => v % shardShape[i] === 0
    const border = this.magBoundingBox()
    const fine = [0, 1, 2].every(
      (i) =>
        (aligned(box.topLeft[i], i) || box.topLeft[i] === border.topLeft[i]) &&
        (aligned(box.bottomRight[i], i) || box.bottomRight[i] === border.bottomRight[i]),
    )
    if (!fine) {
      process.emitWarning(
        `write() was called on a compressed mag without block alignment (${box}, shards of ${formatVec3(shardShape)} voxels in "${this.#array.path}"). ` +
          'Performance will be degraded as the data has to be padded first.',
        'RuntimeWarning',
      )
    }
  }

  /** A view of a part of this one; a read-only sub-view may exceed it. */
  getView(opts: { offset?: Vec3; size?: Vec3; readOnly?: boolean } = {}): View {
    const readOnly = opts.readOnly ?? this.readOnly
    if (this.readOnly && !readOnly) this.refuseWrite('a writable view')
    const offset = toVec3(opts.offset ?? ORIGIN, 'offset')
    const size = toVec3(opts.size ?? this.size, 'size', 1)
    if (!readOnly) this.checkWithin(offset, size)
    const magBox = this.magBoundingBox()
    return new View(this.#array, add(this.globalOffset, offset), size, readOnly, true, () => magBox)
  }

  protected checkBounds(offset: Vec3, size: Vec3): void {
    if (this.bounded) this.checkWithin(offset, size)
  }

  private checkWithin(offset: Vec3, size: Vec3): void {
    const box = new BoundingBox(offset, size)
    if (!new BoundingBox(ORIGIN, this.size).containsBbox(box)) {
      throw new WebknossosError(
        'ERR_WK_OUT_OF_BOUNDS',
        `Accessing data out of bounds: ${box} exceeds the view of size ${formatVec3(this.size)} at ${formatVec3(this.globalOffset)} of "${this.#array.path}"`,
      )
    }
  }

  /**
   * Runs `work` on every chunk of this view; chunk borders sit on multiples of `chunkSize` in the
   * mag's coordinates, so only the first and last chunk on each axis may be partial.
   */
  async forEachChunk(work: (view: View, index: number) => Promise<void> | void, opts: { chunkSize: Vec3 } & LongOp): Promise<void> {
    const chunkSize = checkChunkSize(opts?.chunkSize, 'chunkSize')
    const view = this.getView()
    const chunks = [...new BoundingBox(view.globalOffset, view.size).chunk(chunkSize, chunkSize)]
    await runChunkJobs(chunks.length, opts, (i) => work(view.subView(chunks[i]), i))
  }

  /**
   * Runs `work` on pairs of chunks of this view (read-only) and `targetView`, whose sizes must be
   * in the ratio of the chunk sizes; target chunks must be whole shards of the target.
   */
  async forZippedChunks(
    work: (source: View, target: View, index: number) => Promise<void> | void,
    opts: { targetView: View; sourceChunkSize: Vec3; targetChunkSize: Vec3 } & LongOp,
  ): Promise<void> {
    const sourceChunkSize = checkChunkSize(opts?.sourceChunkSize, 'sourceChunkSize')
    const targetChunkSize = checkChunkSize(opts.targetChunkSize, 'targetChunkSize')
    const source = this.getView()
    const target = opts.targetView.getView()
    for (let i = 0; i < 3; i++) {
      if (source.size[i] / target.size[i] !== sourceChunkSize[i] / targetChunkSize[i]) {
        throw invalidArgument(
          `The view sizes ${formatVec3(source.size)} and ${formatVec3(target.size)} are not in the ratio of the chunk sizes ` +
            `${formatVec3(sourceChunkSize)} and ${formatVec3(targetChunkSize)}`,
        )
      }
      const shard = target.info.shardShape
      if (targetChunkSize[i] % shard[i] !== 0) {
        throw invalidArgument(`targetChunkSize ${formatVec3(targetChunkSize)} must be a multiple of the target shard shape ${formatVec3(shard)}`)
      }
    }
    const sources = [...new BoundingBox(source.globalOffset, source.size).chunk(sourceChunkSize, sourceChunkSize)]
    const targets = [...new BoundingBox(target.globalOffset, target.size).chunk(targetChunkSize, targetChunkSize)]
    const total = Math.min(sources.length, targets.length)
    await runChunkJobs(total, opts, (i) => work(source.subView(sources[i], true), target.subView(targets[i]), i))
  }

  /** The view of `box` (absolute), inheriting read-only unless `readOnly` is given. */
  private subView(box: BoundingBox, readOnly?: boolean): View {
    return this.getView({ offset: sub(box.topLeft, this.globalOffset), size: box.size, readOnly })
  }
}
