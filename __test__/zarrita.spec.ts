// An independent JavaScript client reads what we write: zarrita.js (npm) opens our Zarr v3
// (sharded, zstd) and Zarr v2 mags from the file system and returns the voxels we wrote.
import test from 'ava'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Dataset, type DType } from '../index'
import { bytes } from './helpers/data'
import { tempDir } from './helpers/paths'
import { randomVoxels } from './helpers/voxels'

// zarrita is an ES module; this suite runs as CommonJS.
const load = () => import('zarrita')

/** zarrita's store contract over a directory: whole files and byte ranges (for shard indexes and chunks). */
function directoryStore(root: string) {
  const path = (key: string) => join(root, key.replace(/^\//, ''))
  const missing = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return {
    get: (key: string) => readFile(path(key)).then((b) => new Uint8Array(b), missing),
    getRange: async (key: string, range: { offset: number; length: number } | { suffixLength: number }) => {
      const file = await open(path(key)).catch(missing)
      if (!file) return undefined
      try {
        const size = (await file.stat()).size
        const [offset, length] = 'suffixLength' in range ? [size - range.suffixLength, range.suffixLength] : [range.offset, range.length]
        const buffer = new Uint8Array(length)
        await file.read(buffer, 0, length, offset)
        return buffer
      } finally {
        await file.close()
      }
    },
  }
}

for (const [format, dtype, channels, compress] of [
  ['zarr3', 'uint8', 1, true],
  ['zarr3', 'uint32', 1, true],
  ['zarr3', 'uint8', 3, false],
  ['zarr3', 'float32', 1, true],
  ['zarr', 'uint16', 1, true],
  ['zarr', 'int64', 1, false],
] as const) {
  test(`zarrita reads our ${format} ${channels} × ${dtype} mag (${compress ? 'zstd' : 'uncompressed'}) with the same voxels`, async (t) => {
    const zarr = await load()
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const layer = await ds.addLayer('layer', 'color', { dtypePerChannel: dtype as DType, numChannels: channels, dataFormat: format })
    const mag = await layer.addMag(1, { chunkShape: 16, shardShape: format === 'zarr' ? 16 : 64, compress })
    const voxels = randomVoxels(dtype as DType, [channels, 70, 50, 40], 7)
    await mag.write(voxels, { offset: [3, 0, 5] })
    const array = await zarr.open(zarr.root(directoryStore(mag.path)), { kind: 'array' })
    t.deepEqual(array.shape.slice(0, 1), [channels])
    const chunk = await zarr.get(array, [null, zarr.slice(3, 73), zarr.slice(0, 50), zarr.slice(5, 45)])
    t.deepEqual(chunk.shape, [channels, 70, 50, 40])
    // zarrita returns its own strides (the transpose codec decides them); ours are channels
    // fastest, then x, y, z.
    const ours = voxels.data as unknown as ArrayLike<number | bigint>
    const theirs = chunk.data as unknown as ArrayLike<number | bigint>
    const [sc, sx, sy, sz] = chunk.stride
    let wrong = 0
    const [C, X, Y, Z] = [channels, 70, 50, 40]
    for (let c = 0; c < C; c++) for (let x = 0; x < X; x++) for (let y = 0; y < Y; y++) for (let z = 0; z < Z; z++) {
      if (theirs[c * sc + x * sx + y * sy + z * sz] !== ours[c + C * (x + X * (y + Y * z))]) wrong++
    }
    t.is(wrong, 0, `${wrong} voxels differ`)
    t.is(bytes(voxels.data).length, C * X * Y * Z * voxels.data.BYTES_PER_ELEMENT)
  })
}
