// A stack of 2D image slices read with sharp: listing in natural order, checking sizes and pixel
// formats from the headers, and decoding one slice to its samples.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Metadata, OutputInfo } from 'sharp'
import type Sharp from 'sharp'
import { WebknossosError, invalidArgument } from '../errors'
import type { ImageSlice } from '../execution/task'
import { runChunkJobs } from '../model/chunk-jobs'

export type SharpModule = typeof Sharp
export type Depth = ImageSlice['depth']

/** Slice files by extension, case-insensitive; hidden files (e.g. macOS "._x.tif") are skipped. */
const IMAGE_FILE = /\.(tiff?|png|jpe?g)$/i

/** The size and samples of every slice of a stack. */
export interface Plane {
  width: number
  height: number
  /** 1 for grayscale (with or without alpha), 3 for RGB(A). */
  channels: 1 | 3
}

export interface Stack extends Plane {
  slices: ImageSlice[]
  firstDepth: Depth
}

/** Image file names in natural order ("2" before "10"); ties broken by code points. */
export function sortNaturally(names: string[]): string[] {
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })
  return [...names].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0))
}

/** Lists and checks the slices from their headers only: same size, a supported pixel format. */
export async function scanStack(sharp: SharpModule, dir: string): Promise<Stack> {
  const info = await stat(dir).catch(() => undefined)
  if (!info) throw new WebknossosError('ERR_WK_NOT_FOUND', `The image directory "${dir}" does not exist`)
  if (!info.isDirectory()) throw invalidArgument(`"${dir}" is not a directory`)
  const entries = await readdir(dir, { withFileTypes: true })
  const names = sortNaturally(entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_FILE.test(e.name) && !e.name.startsWith('.')).map((e) => e.name))
  if (names.length === 0) throw new WebknossosError('ERR_WK_NOT_FOUND', `No images (.tif, .tiff, .png, .jpg, .jpeg) in "${dir}"`)
  const metas: Metadata[] = new Array(names.length)
  await runChunkJobs(names.length, { jobs: 8 }, async (i) => {
    try {
      metas[i] = await sharp(join(dir, names[i])).metadata()
    } catch (error) {
      throw new WebknossosError('ERR_WK_CORRUPT', `Cannot read the image "${join(dir, names[i])}": ${(error as Error).message}`)
    }
  })
  const first = metas[0]
  const kind = (channels: number) => (channels <= 2 ? 1 : 3)
  const slices: ImageSlice[] = []
  for (const [i, meta] of metas.entries()) {
    const file = join(dir, names[i])
    if (meta.width !== first.width || meta.height !== first.height) {
      throw new WebknossosError(
        'ERR_WK_MISMATCH',
        `"${file}" is ${meta.width}x${meta.height}, but the first image "${names[0]}" is ${first.width}x${first.height}: all slices must have the same size`,
      )
    }
    if (meta.depth !== 'uchar' && meta.depth !== 'ushort') {
      throw invalidArgument(`"${file}" has ${meta.depth} samples: only 8-bit and 16-bit images are supported`)
    }
    if (kind(meta.channels ?? 1) !== kind(first.channels ?? 1)) {
      throw new WebknossosError('ERR_WK_MISMATCH', `"${file}" has ${meta.channels} channels, but the first image "${names[0]}" has ${first.channels}`)
    }
    const pages = meta.pages ?? 1
    if (pages > 1 && names.length > 1) throw invalidArgument(`"${file}" has ${pages} pages: a multi-page TIFF must be the only image of the directory`)
    if (pages > 1) for (let page = 0; page < pages; page++) slices.push({ file, page, depth: meta.depth })
    else slices.push({ file, depth: meta.depth })
  }
  const channels = kind(first.channels ?? 1)
  if (channels === 3 && slices.some((s) => s.depth !== 'uchar')) throw invalidArgument('16-bit RGB images are not supported: convert them to 8-bit RGB or to grayscale')
  return { slices, width: first.width!, height: first.height!, channels, firstDepth: first.depth as Depth }
}

/** Decodes one slice to its samples (row-major, channels interleaved) at the image's own depth. */
export async function decode(sharp: SharpModule, slice: ImageSlice, stack: Plane): Promise<Uint8Array | Uint16Array> {
  const image = sharp(slice.file, { page: slice.page ?? 0, limitInputPixels: false })
  const pipeline =
    stack.channels === 3
      ? image.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' })
      : slice.depth === 'ushort'
        ? image.toColourspace('grey16').extractChannel(0).raw({ depth: 'ushort' })
        : image.extractChannel(0).raw({ depth: 'uchar' })
  let result: { data: Buffer; info: OutputInfo }
  try {
    result = await pipeline.toBuffer({ resolveWithObject: true })
  } catch (error) {
    throw new WebknossosError('ERR_WK_CORRUPT', `Cannot decode "${slice.file}"${slice.page ? ` page ${slice.page}` : ''}: ${(error as Error).message}`)
  }
  const { data, info } = result
  const bytes = slice.depth === 'ushort' ? 2 : 1
  if (info.width !== stack.width || info.height !== stack.height || info.channels !== stack.channels || data.length !== stack.width * stack.height * stack.channels * bytes) {
    throw new WebknossosError('ERR_WK_CORRUPT', `"${slice.file}" decoded to ${info.width}x${info.height}x${info.channels}, expected ${stack.width}x${stack.height}x${stack.channels}`)
  }
  if (bytes === 1) return new Uint8Array(data.buffer, data.byteOffset, data.length)
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
  return new Uint16Array(Uint8Array.from(data).buffer)
}
