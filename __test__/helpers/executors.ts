// What the executor suites share: the volumes they run on, the operations each executor must do
// byte for byte as the LocalExecutor does, and the digests of the files they write.
import { createHash } from 'node:crypto'
import { cpSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { ExecutionContext } from 'ava'
import sharp from 'sharp'
import { Dataset, type Executor, LocalExecutor, SegmentationLayer } from '../../index'
import { startWk, wk } from './cli'

/**
 * A dataset at `dir` with a uint8 color and a uint32 segmentation layer of `edge`³ voxels at mag 1,
 * WKW in shards of `shard`³ voxels, so that every step has several target shards to hand out.
 */
export async function makeVolume(dir: string, edge: number, shard: number): Promise<string> {
  const dataset = await Dataset.create(dir, { scale: [1, 1, 1] })
  const color = await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  const segmentation = await dataset.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 0 })
  const options = { blockLen: 32, fileLen: shard / 32 }
  const [c, s] = [await color.addMag(1, options), await segmentation.addMag(1, options)]
  const depth = 64
  const grey = new Uint8Array(edge * edge * depth)
  const ids = new Uint32Array(edge * edge * depth)
  for (let z0 = 0; z0 < edge; z0 += depth) {
    let i = 0
    for (let z = z0; z < z0 + depth; z++) {
      for (let y = 0; y < edge; y++) {
        for (let x = 0; x < edge; x++, i++) {
          grey[i] = ((x ^ y) + 3 * z + ((x * 7919 + y * 104729 + z * 1299709) % 17)) & 255
          ids[i] = 1 + Math.floor(x / 40) + 13 * Math.floor(y / 40) + 169 * Math.floor(z / 40)
        }
      }
    }
    await c.write({ data: grey, shape: [edge, edge, depth] }, { offset: [0, 0, z0] })
    await s.write({ data: ids, shape: [edge, edge, depth] }, { offset: [0, 0, z0] })
  }
  if (segmentation instanceof SegmentationLayer) await segmentation.setLargestSegmentId(ids[ids.length - 1])
  return dir
}

/** A folder of `count` 16-bit grayscale PNG slices of `width`×`height` for `convert`. */
export async function makeImages(dir: string, count: number, width: number, height: number): Promise<string> {
  const pixels = new Uint16Array(width * height)
  for (let z = 0; z < count; z++) {
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + z * 977) % 65536
    await sharp(Buffer.from(pixels.buffer), { raw: { width, height, channels: 1, premultiplied: false } })
      .toColourspace('grey16')
      .png()
      .toFile(join(dir, `slice_${z}.png`))
  }
  return dir
}

/** sha256 of every file under `dir` but the properties and hidden files, by relative path. */
export function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'datasource-properties.json') continue
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex')
    }
  }
  walk(dir)
  return out
}

/** The mags each layer of the dataset at `dir` registers, as "layer/mag" names. */
export async function registeredMags(dir: string): Promise<string[]> {
  const dataset = await Dataset.open(dir)
  return [...dataset.layers.values()].flatMap((layer) => [...layer.mags.keys()].map((mag) => `${layer.name}/${mag}`)).sort()
}

/** The operations an executor must do as the LocalExecutor does, each into its own copy of `volume`. */
export const operations = {
  /** Both layers downsampled to mag 8. */
  async downsample(volume: string, dir: string, executor: Executor): Promise<string> {
    cpSync(volume, dir, { recursive: true })
    const dataset = await Dataset.open(dir)
    for (const layer of dataset.layers.values()) await layer.downsample({ maxMag: 8, executor })
    return dir
  },
  /** Mag 1 of the color layer compressed in place. */
  async compress(volume: string, dir: string, executor: Executor): Promise<string> {
    cpSync(volume, dir, { recursive: true })
    await (await Dataset.open(dir)).getLayer('color').getMag(1).compress({ executor })
    return dir
  },
  /** A Zarr v3 copy in shards of 128³. */
  async copy(volume: string, dir: string, executor: Executor): Promise<string> {
    await (await Dataset.open(volume)).copyDataset(dir, { dataFormat: 'zarr3', shardShape: 128, executor })
    return dir
  },
  /** A layer from images, in shards 32 slices deep: one task per 32 slices. */
  async convert(images: string, dir: string, executor: Executor): Promise<string> {
    const dataset = await Dataset.create(dir, { scale: [1, 1, 1] })
    await dataset.addLayerFromImages(images, 'em', { fileLen: 1, executor })
    return dir
  },
}

export const local = () => new LocalExecutor()

/** WKW data files under `dir` with their inode numbers. */
function shardFiles(dir: string): Map<string, number> {
  const files = new Map<string, number>()
  const walk = (d: string) => {
    for (const name of existsSync(d) ? readdirSync(d) : []) {
      const path = join(d, name)
      const info = statSync(path)
      if (info.isDirectory()) walk(path)
      else if (name.endsWith('.wkw') && name !== 'header.wkw') files.set(path, info.ino)
    }
  }
  walk(dir)
  return files
}

/**
 * Starts `wk <args>` (a distributed downsample of the copy at `dir`), kills it with SIGKILL once
 * the first target shard of color mag 2 exists, runs it again to the end, and checks that no
 * complete shard was written again and that the files are `expected`.
 */
export async function resumeAfterKill(t: ExecutionContext, dir: string, args: string[], cwd: string, expected: Record<string, string>): Promise<void> {
  const first = startWk(args, { cwd })
  while (shardFiles(join(dir, 'color', '2')).size === 0) await new Promise((r) => setTimeout(r, 10))
  first.child.kill('SIGKILL')
  await first.exit
  const before = shardFiles(join(dir, 'color'))
  const second = await wk(args, { cwd })
  t.is(second.code, 0, second.stderr)
  const after = shardFiles(join(dir, 'color'))
  for (const [path, ino] of before) t.is(after.get(path), ino, `${path} was not written again`)
  t.deepEqual(digests(dir), expected)
}
