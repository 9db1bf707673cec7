// Reading 2D image slices with sharp for `wk convert`: listing in natural order, checking sizes
// and pixel formats from the headers, and decoding one slice to its samples.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { OutputInfo } from 'sharp'
import type Sharp from 'sharp'
import { CliError, mapLimit } from './common'

export type SharpModule = typeof Sharp
export type Depth = 'uchar' | 'ushort'

/** Slice files by extension, case-insensitive; hidden files (e.g. macOS "._x.tif") are skipped. */
const IMAGE_FILE = /\.(tiff?|png|jpe?g)$/i

export interface Slice {
  file: string
  /** The page of a multi-page TIFF. */
  page?: number
  depth: Depth
}

export interface Stack {
  slices: Slice[]
  width: number
  height: number
  /** 1 for grayscale (with or without alpha), 3 for RGB(A). */
  channels: 1 | 3
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
  if (!info) throw new CliError(`The image directory "${dir}" does not exist`)
  if (!info.isDirectory()) throw new CliError(`"${dir}" is not a directory`)
  const entries = await readdir(dir, { withFileTypes: true })
  const names = sortNaturally(entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_FILE.test(e.name) && !e.name.startsWith('.')).map((e) => e.name))
  if (names.length === 0) throw new CliError(`No images (.tif, .tiff, .png, .jpg, .jpeg) in "${dir}"`)
  const metas = await mapLimit(names, 8, async (name) => {
    try {
      return await sharp(join(dir, name)).metadata()
    } catch (error) {
      throw new CliError(`Cannot read the image "${join(dir, name)}": ${(error as Error).message}`)
    }
  })
  const first = metas[0]
  const kind = (channels: number) => (channels <= 2 ? 1 : 3)
  const slices: Slice[] = []
  for (const [i, meta] of metas.entries()) {
    const file = join(dir, names[i])
    if (meta.width !== first.width || meta.height !== first.height) {
      throw new CliError(
        `"${file}" is ${meta.width}x${meta.height}, but the first image "${names[0]}" is ${first.width}x${first.height}: all slices must have the same size`,
      )
    }
    if (meta.depth !== 'uchar' && meta.depth !== 'ushort') {
      throw new CliError(`"${file}" has ${meta.depth} samples: only 8-bit and 16-bit images are supported`)
    }
    if (kind(meta.channels ?? 1) !== kind(first.channels ?? 1)) {
      throw new CliError(`"${file}" has ${meta.channels} channels, but the first image "${names[0]}" has ${first.channels}`)
    }
    const pages = meta.pages ?? 1
    if (pages > 1 && names.length > 1) throw new CliError(`"${file}" has ${pages} pages: a multi-page TIFF must be the only image of the directory`)
    if (pages > 1) for (let page = 0; page < pages; page++) slices.push({ file, page, depth: meta.depth })
    else slices.push({ file, depth: meta.depth })
  }
  const channels = kind(first.channels ?? 1)
  if (channels === 3 && slices.some((s) => s.depth !== 'uchar')) throw new CliError('16-bit RGB images are not supported: convert them to 8-bit RGB or to grayscale')
  return { slices, width: first.width!, height: first.height!, channels, firstDepth: first.depth as Depth }
}

/** Decodes one slice to its samples (row-major, channels interleaved) at the image's own depth. */
export async function decode(sharp: SharpModule, slice: Slice, stack: Stack): Promise<Uint8Array | Uint16Array> {
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
    throw new CliError(`Cannot decode "${slice.file}"${slice.page ? ` page ${slice.page}` : ''}: ${(error as Error).message}`)
  }
  const { data, info } = result
  const bytes = slice.depth === 'ushort' ? 2 : 1
  if (info.width !== stack.width || info.height !== stack.height || info.channels !== stack.channels || data.length !== stack.width * stack.height * stack.channels * bytes) {
    throw new CliError(`"${slice.file}" decoded to ${info.width}x${info.height}x${info.channels}, expected ${stack.width}x${stack.height}x${stack.channels}`)
  }
  if (bytes === 1) return new Uint8Array(data.buffer, data.byteOffset, data.length)
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
  return new Uint16Array(Uint8Array.from(data).buffer)
}
