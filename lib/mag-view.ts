import { isAbsolute, join } from 'node:path'
import { BoundingBox } from './bounding-box'
import type { Layer } from './layer'
import type { LongOp } from './long-op'
import { WebknossosError } from './errors'
import type { Mag } from './mag'
import { runNative } from './long-op'
import { native, nativeCall } from './native'
import { type Vec3, formatVec3, max, min, mul, sub, toVec3 } from './vec3'
import { type MagStorage, View } from './view'
import type { VoxelInput } from './voxel-array'
import { type WkwHeader, toHeader } from './wkw'

const ORIGIN: Vec3 = [0, 0, 0]

/** Where a mag's directory is: relative to its layer's directory (which may be renamed), relative to the dataset, or absolute. */
export interface MagDirectory {
  name: string
  relativeTo: 'layer' | 'dataset'
}

export function magDirectoryPath(layer: Layer, { name, relativeTo }: MagDirectory): string {
  if (isAbsolute(name)) return name
  return join(relativeTo === 'layer' ? layer.path : layer.dataset.path, name)
}

/**
 * One mag of a layer. Its offsets are absolute voxels of the mag; it is not bounded, and writes
 * grow the layer's bounding box.
 */
export class MagView extends View {
  #header: WkwHeader

  /** @internal `directory` is the mag's folder relative to the layer (or the dataset, see `relativeTo`). */
  constructor(
    readonly layer: Layer,
    readonly mag: Mag,
    private readonly directory: MagDirectory,
    header: WkwHeader,
  ) {
    // The storage and the box are this MagView itself, overridden below: both follow the layer.
    super(undefined, ORIGIN, ORIGIN, false, false, () => new BoundingBox(ORIGIN, ORIGIN))
    this.#header = header
  }

  protected override get storage(): MagStorage {
    return this
  }

  /** The mag's name, as its directory is named: "1", "2-2-1". */
  get name(): string {
    return this.mag.toLayerName()
  }

  get path(): string {
    return magDirectoryPath(this.layer, this.directory)
  }

  override get header(): WkwHeader {
    return this.#header
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
    const box = await this.writeChecked(data, opts)
    const current = this.layer.boundingBox
    const written = box.fromMagToMag1(this.mag)
    const empty = current.isEmpty() && current.topLeft.every((v) => v === 0)
    const topLeft = empty || current.topLeft.every((v) => v === -1) ? written.topLeft : min(current.topLeft, written.topLeft)
    const end = max(current.bottomRight, written.bottomRight)
    const grown = new BoundingBox(topLeft, sub(end, topLeft))
    if (!grown.equals(current)) await this.layer.setBoundingBox(grown)
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
    if (!opts.readOnly && !magBox.containsBbox(new BoundingBox(offset, size))) {
      throw new WebknossosError(
        'ERR_WK_OUT_OF_BOUNDS',
        `A writable view at ${formatVec3(offset)} of size ${formatVec3(size)} is outside the bounding box ${magBox} of mag ${this.name} of layer "${this.layer.name}"`,
      )
    }
    return new View(this.storage, offset, size, opts.readOnly ?? false, true, () => magBox)
  }

  /** Compresses every data file with LZ4HC: in place (each file replaced atomically) or into `<targetPath>/<layer>/<mag>`. */
  async compress(opts: { targetPath?: string } & LongOp = {}): Promise<void> {
    const target = opts.targetPath === undefined ? this.path : join(opts.targetPath, this.layer.name, this.name)
    const header = await runNative(opts, (flag, onProgress, jobs) => native.wkwCompress(this.path, target, jobs, onProgress, flag))
    if (opts.targetPath === undefined) this.#header = toHeader(header)
  }

  /** One box (in this mag's voxels) per data file on disk. */
  async *getBoundingBoxesOnDisk(): AsyncIterable<BoundingBox> {
    const edge = this.header.blockLen * this.header.fileLen
    for (const cube of await nativeCall(() => native.wkwListFiles(this.path))) {
      yield new BoundingBox(mul(cube as Vec3, [edge, edge, edge]), [edge, edge, edge])
    }
  }

  override toString(): string {
    return `MagView(${this.name} of layer "${this.layer.name}")`
  }
}
