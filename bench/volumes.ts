// Synthetic volumes of the benchmarks, generated one z-slab at a time.
import { closeSync, openSync, writeSync } from 'node:fs'

/** Smooth structures plus noise, like an EM image: slab [z0, z0 + depth) of an edge³ volume. */
export function colorSlab(edge: number, z0: number, depth: number): Uint8Array {
  const data = new Uint8Array(edge * edge * depth)
  const sx = Float64Array.from({ length: edge }, (_, x) => Math.sin(x / 23))
  const cy = Float64Array.from({ length: edge }, (_, y) => Math.cos(y / 31))
  let state = 12345 + z0
  let i = 0
  for (let z = z0; z < z0 + depth; z++) {
    const zTerm = 128 + 30 * Math.sin(z / 17)
    for (let y = 0; y < edge; y++) {
      for (let x = 0; x < edge; x++) {
        state = (state * 1103515245 + 12345) >>> 0
        data[i++] = zTerm + 60 * sx[x] * cy[y] + ((state >>> 24) & 15)
      }
    }
  }
  return data
}

/** Labelled cells of about 45 voxels whose borders do not follow the blocks. */
export function segmentationSlab(edge: number, z0: number, depth: number): Uint32Array {
  const data = new Uint32Array(edge * edge * depth)
  let i = 0
  for (let z = z0; z < z0 + depth; z++) {
    const cz = Math.floor(z / 45)
    for (let y = 0; y < edge; y++) {
      const cy = Math.floor((y + 11 * cz) / 41)
      for (let x = 0; x < edge; x++) {
        const cx = Math.floor((x + 7 * cy + 3 * cz) / 47)
        data[i++] = ((Math.imul((cx * 73856093) ^ (cy * 19349663) ^ (cz * 83492791), 2654435761) >>> 8) % 2 ** 24) + 1
      }
    }
  }
  return data
}

export type SlabMaker = (edge: number, z0: number, depth: number) => Uint8Array | Uint32Array

/**
 * The slabs of depth `slab` of an edge³ volume, also written one after the other to `file`, where
 * the Python side of a bench reads the same bytes.
 */
export function slabsWithInput(makeSlab: SlabMaker, edge: number, slab: number, file: string): (Uint8Array | Uint32Array)[] {
  const fd = openSync(file, 'w')
  const slabs: (Uint8Array | Uint32Array)[] = []
  try {
    for (let z = 0; z < edge; z += slab) {
      const data = makeSlab(edge, z, slab)
      slabs.push(data)
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    }
  } finally {
    closeSync(fd)
  }
  return slabs
}
