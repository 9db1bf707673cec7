import { invalidArgument } from '../errors'
import { Layer } from './layer'
import type { Category } from './properties'

/** A layer of segment ids, with the largest id in use and the names of its mappings. */
export class SegmentationLayer extends Layer {
  override get category(): Category {
    return 'segmentation'
  }

  /** -1 when unknown, as in the reference. */
  get largestSegmentId(): number {
    return this.json.largestSegmentId ?? -1
  }

  get mappings(): readonly string[] {
    return this.json.mappings ?? []
  }

  async setLargestSegmentId(id: number): Promise<void> {
    if (!Number.isSafeInteger(id) || id < -1) throw invalidArgument(`largestSegmentId must be an integer >= -1, but is ${id}`)
    await this.updateEntry((entry) => {
      if (id === -1) delete entry.largestSegmentId
      else entry.largestSegmentId = id
    })
  }
}
