import { realpath } from 'node:fs/promises'
import { WebknossosError } from '../errors'
import { BoundingBox } from '../geometry/bounding-box'
import type { Mag } from '../geometry/mag'
import { type Vec3, mul, sub, toVec3 } from '../geometry/vec3'
import { copyMag } from '../execution/copy-mag'
import type { Distributable } from '../execution/executor'
import { LocalExecutor } from '../execution/local-executor'
import { finishStep } from '../execution/step'
import { type LongOp, checkLongOp } from '../native/long-op'
import { type Compression, EVERYTHING, MagArray } from '../storage/mag-array'
import type { VoxelInput } from '../storage/voxel-array'
import { type Layer, createMagArray } from './layer'
import { type MagLocation, checkLayerName } from './paths'
import { View } from './view'
import { baseName, dirName, isRemote, joinPath } from '../storage/location'

const ORIGIN: Vec3 = [0, 0, 0]

/** The compression `compress()` gives a mag of each format: what the Python library writes. */
const COMPRESSED: Record<string, Compression> = { wkw: 'lz4hc', zarr3: 'zstd', zarr: 'zstd' }

/**
 * One mag of a layer. Its offsets are absolute voxels of the mag; it is not bounded, and writes
 * grow the layer's bounding box. A mag whose directory lies outside its layer's (a reference to
 * another layer or dataset) is read-only.
 */
export class MagView extends View {
  /** @internal Built by Layer from the mag's properties entry. */
  constructor(
    readonly layer: Layer,
    readonly mag: Mag,
    private readonly location: MagLocation,
    array: MagArray,
  ) {
    // The array and the box follow the layer: the box is overridden below.
    super(array, ORIGIN, ORIGIN, !location.owned, false, () => new BoundingBox(ORIGIN, ORIGIN))
    array.follow(() => this.path)
  }

  /** @internal The directory of a mag at `location` of `layer`. */
  static pathOf(layer: Layer, location: MagLocation): string {
    return location.directory.relativeTo === 'layer' ? joinPath(layer.path, location.directory.name) : location.directory.path
  }

  /** The mag's name, as its directory is named: "1", "2-2-1". */
  get name(): string {
    return this.mag.toLayerName()
  }

  get path(): string {
    return MagView.pathOf(this.layer, this.location)
  }

  /** Whether the directory lies in the layer's own (so that writes, compression and deletion may touch it). */
  get owned(): boolean {
    return this.location.owned
  }

  /** From the origin to the end of the layer's bounding box, in this mag's voxels. */
  override get size(): Vec3 {
    return this.magBoundingBox().bottomRight
  }

  /** The layer's bounding box grown to whole voxels of this mag, in this mag's voxels. */
  protected override magBoundingBox(): BoundingBox {
    return this.layer.boundingBox.alignWithMag(this.mag, { ceil: true }).inMag(this.mag)
  }

  override async write(data: VoxelInput, opts: { offset?: Vec3 } = {}): Promise<void> {
    const box = this.checkWrite(data, opts)
    const grown = this.layer.grownBoundingBox(box.fromMagToMag1(this.mag))
    await this.writeBox(box, data)
    if (grown) await this.layer.growBoundingBox(box.fromMagToMag1(this.mag))
  }

  /**
   * A view of a box of this mag; by default the layer's bounding box. A writable view must lie
   * within the layer's bounding box.
   */
  override getView(opts: { offset?: Vec3; size?: Vec3; readOnly?: boolean } = {}): View {
    let bbox = this.layer.boundingBox
    if (bbox.topLeft.every((v) => v === -1)) bbox = new BoundingBox(ORIGIN, bbox.size)
    const magBox = bbox.alignWithMag(this.mag, { ceil: true }).inMag(this.mag)
    const offset = toVec3(opts.offset ?? magBox.topLeft, 'offset')
    const size = toVec3(opts.size ?? sub(magBox.bottomRight, offset), 'size', 1)
    const readOnly = opts.readOnly ?? this.readOnly
    if (this.readOnly && !readOnly) this.refuseWrite('a writable view')
    if (!readOnly && !magBox.containsBbox(new BoundingBox(offset, size))) {
      throw new WebknossosError(
        'ERR_WK_OUT_OF_BOUNDS',
        `A writable view at ${offset.join(', ')} of size ${size.join(', ')} is outside the bounding box ${magBox} of mag ${this.name} of layer "${this.layer.name}"`,
      )
    }
    return new View(this.array, offset, size, readOnly, true, () => magBox)
  }

  /**
   * Compresses the mag (LZ4HC for WKW, zstd for Zarr), as the Python library does: into a copy
   * beside it, which then takes its place in one step; a compressed mag is left as it is. With
   * `targetPath`, into `<targetPath>/<layer>/<mag>` instead. Writers of the mag wait meanwhile.
   */
  async compress(opts: { targetPath?: string } & LongOp & Distributable = {}): Promise<void> {
    checkLongOp(opts)
    const compression = COMPRESSED[this.info.dataFormat]
    const executor = opts.executor ?? new LocalExecutor({ jobs: opts.jobs })
    const step = { executor, signal: opts.signal, onProgress: opts.onProgress }
    const copy = (target: MagArray) => ({
      source: this.array,
      target,
      sourceMag: this.name,
      targetMag: this.name,
      box: EVERYTHING,
      dataset: this.layer.dataset.path,
      layer: this.layer.name,
    })
    if (opts.targetPath !== undefined) {
      const target = await MagArray.create(joinPath(opts.targetPath, checkLayerName(this.layer.name), this.name), { ...this.info, compression })
      await copyMag(copy(target), await this.array.copyTargets(target, EVERYTHING), step)
      await finishStep(target)
      return
    }
    if (!this.owned) this.refuseWrite('compression in place')
    if (this.info.compression !== 'none') return
    const lock = await this.array.lockAll()
    try {
      // The copy goes beside the directory the files are in, where a rename can exchange the two.
      const directory = isRemote(this.path) ? this.path : await realpath(this.path)
      const beside = joinPath(dirName(directory), `.${baseName(directory)}.compressing`)
      const target = await createMagArray(beside, { ...this.info, compression }, true)
      await copyMag(copy(target), await this.array.copyTargets(target, EVERYTHING), step)
      await this.array.replaceWith(target)
      await finishStep(this.array)
    } finally {
      lock.release()
    }
  }

  /** One box (in this mag's voxels) per shard file on disk. */
  async *getBoundingBoxesOnDisk(): AsyncIterable<BoundingBox> {
    const shape = this.info.shardShape
    for (const shard of await this.array.shards()) yield new BoundingBox(mul(shard, shape), shape)
  }

  override toString(): string {
    return `MagView(${this.name} of layer "${this.layer.name}")`
  }
}
