// Tests of the `wk` command line (apps/cli): every subcommand on small data, run as a child
// process from the TypeScript sources, plus the error paths (one line on stderr, non-zero exit,
// nothing written) and `--help` of every command.
import test, { type ExecutionContext } from 'ava'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { type DataFormat, Dataset, type Layer, Mag, SegmentationLayer, type TypedArray } from '../index'
import { type CliResult, lines, nothingAt, wk } from './helpers/cli'
import { randomArray } from './helpers/data'
import { inFormat } from './helpers/formats'
import { fixturesDir, skipReason, tempDir } from './helpers/paths'
import { oracle, python, readBytes } from './helpers/reference'
import { readJson, sameData } from './helpers/voxels'

const tiffStack = join(fixturesDir, 'tiff_stack')
const haveTiffStack = existsSync(tiffStack)
const tiffTest = haveTiffStack ? test : (skipReason(`the TIFF stack fixture is missing (${tiffStack})`), test.skip)
const tiffReferenceTest = haveTiffStack && python ? test : (skipReason('the TIFF stack or the Python reference (with Pillow) is missing'), test.skip)

const COMMANDS = ['info', 'downsample', 'upsample', 'compress', 'convert', 'copy-dataset', 'export-tiff', 'check-equality', 'demo', 'run-task', 'worker', 'serve']

/** A failed run: the exit code, exactly one stderr line `wk <command>: ...`, and what it says. */
function assertFailure(t: ExecutionContext, result: CliResult, command: string, code: number, pattern?: RegExp): void {
  t.is(result.code, code, `exit code (stderr: ${result.stderr})`)
  const errors = lines(result.stderr)
  t.is(errors.length, 1, `one line on stderr, got: ${result.stderr}`)
  t.true(errors[0]?.startsWith(`wk ${command}: `), errors[0])
  t.false(/\n\s+at /.test(result.stderr), 'no stack trace')
  if (pattern) t.regex(errors[0] ?? '', pattern)
}

function assertSuccess(t: ExecutionContext, result: CliResult): void {
  t.is(result.code, 0, `exit code 0 (stderr: ${result.stderr}, stdout: ${result.stdout})`)
}

/** Random uint8 voxels with an (x, y, z) shape. */
function voxels8(size: [number, number, number], seed = 1) {
  return { data: randomArray('uint8', size[0] * size[1] * size[2], seed) as Uint8Array, shape: size }
}

/**
 * A dataset with a uint8 color layer (random voxels of size 40x30x20 at (5, 6, 7), mag 1) and
 * a uint32 segmentation layer (ids up to 7), scale (1, 1, 1).
 */
async function smallDataset(t: ExecutionContext, name = 'ds', opts: { segmentation?: boolean; format?: DataFormat } = {}) {
  const path = join(tempDir(t), name)
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), opts.format ?? 'wkw')
  const color = await ds.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  const colorData = voxels8([40, 30, 20])
  await (await color.addMag(1, { blockLen: 8, fileLen: 4 })).write(colorData, { offset: [5, 6, 7] })
  let segData: Uint32Array | undefined
  if (opts.segmentation !== false) {
    const seg = await ds.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 7 })
    segData = new Uint32Array(16 * 16 * 16)
    for (let i = 0; i < segData.length; i++) segData[i] = (i >> 6) % 8
    await (await seg.addMag(1)).write({ data: segData, shape: [16, 16, 16] })
  }
  return { path, colorData, segData }
}

async function readMag(path: string, layer: string, mag: string, offset: [number, number, number], size: [number, number, number]) {
  const ds = await Dataset.open(path)
  return ds.getLayer(layer).getMag(mag).read({ offset, size })
}

/** Decodes a TIFF/PNG slice as sharp sees it: grey8 (1 channel), grey16 or RGB. */
async function decodeImage(file: string, kind: 'grey8' | 'grey16' | 'rgb'): Promise<{ data: TypedArray; width: number; height: number }> {
  const image = sharp(file)
  if (kind === 'grey16') {
    const { data, info } = await image.toColourspace('grey16').extractChannel(0).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
    return { data: new Uint16Array(Uint8Array.from(data).buffer), width: info.width, height: info.height }
  }
  const pipeline = kind === 'rgb' ? image.removeAlpha().raw() : image.extractChannel(0).raw()
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height }
}

/** Writes a grayscale (uint8/uint16) or RGB (uint8, 3 channels) PNG. */
async function writePng(file: string, data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 3 = 1): Promise<void> {
  const colourspace = channels === 3 ? 'srgb' : data instanceof Uint16Array ? 'grey16' : 'b-w'
  await sharp(data, { raw: { width, height, channels } }).toColourspace(colourspace).png().toFile(file)
}

// ---------------------------------------------------------------------------------------------
// help and version

test('wk --help, --version and `--help` of every command exit 0', async (t) => {
  const top = await wk(['--help'])
  assertSuccess(t, top)
  for (const command of COMMANDS) t.true(top.stdout.includes(command), `wk --help lists ${command}`)
  const version = await wk(['--version'])
  assertSuccess(t, version)
  t.is(version.stdout.trim(), JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version)
  const results = await Promise.all(COMMANDS.map((command) => wk([command, '--help'])))
  results.forEach((result, i) => {
    assertSuccess(t, result)
    t.true(result.stdout.startsWith(`Usage: wk ${COMMANDS[i]} `), result.stdout)
    t.is(result.stderr, '')
  })
})

test('an unknown command or option is a usage error (exit 2, one line)', async (t) => {
  const unknown = await wk(['frobnicate'])
  t.is(unknown.code, 2)
  t.is(lines(unknown.stderr).length, 1)
  t.regex(unknown.stderr, /^wk: unknown command 'frobnicate'/)
  assertFailure(t, await wk(['info', '--frob', 'x']), 'info', 2, /unknown option '--frob'/)
  assertFailure(t, await wk(['info']), 'info', 2, /missing required argument 'dataset'/)
  assertFailure(t, await wk(['info', 'a', 'b']), 'info', 2, /too many arguments/)
})

// ---------------------------------------------------------------------------------------------
// info

test('info prints name, scale, layers and mags; --json the same as JSON', async (t) => {
  const { path } = await smallDataset(t)
  const ds = await Dataset.open(path)
  await ds.getLayer('color').addMag('2-2-1', { compress: true })

  const text = await wk(['info', path])
  assertSuccess(t, text)
  t.regex(text.stdout, /Dataset ds/)
  t.regex(text.stdout, /scale: \(1, 1, 1\)/)
  t.regex(text.stdout, /Layer "color"/)
  t.regex(text.stdout, /Layer "segmentation"/)
  t.regex(text.stdout, /uint32 per channel, uint32 per layer/)
  t.regex(text.stdout, /bounding box: topLeft \(5, 6, 7\), size \(40, 30, 20\)/)
  t.regex(text.stdout, /largest segment id: 7/)
  t.regex(text.stdout, /2-2-1\s+wkw\s+32³\s+1024³\s+lz4hc/)

  const result = await wk(['info', path, '--json'])
  assertSuccess(t, result)
  const info = JSON.parse(result.stdout)
  t.is(info.name, 'ds')
  t.deepEqual(info.scale, [1, 1, 1])
  t.deepEqual(
    info.layers.map((l: any) => l.name),
    ['color', 'segmentation'],
  )
  const [color, seg] = info.layers
  t.like(color, { category: 'color', dtypePerChannel: 'uint8', dtypePerLayer: 'uint8', numChannels: 1 })
  t.deepEqual(color.boundingBox, { topLeft: [5, 6, 7], size: [40, 30, 20] })
  t.is(color.largestSegmentId, undefined)
  t.deepEqual(
    color.mags.map((m: any) => [m.mag, m.dataFormat, m.chunkShape, m.shardShape, m.compression]),
    [
      ['1', 'wkw', [8, 8, 8], [32, 32, 32], 'none'],
      ['2-2-1', 'wkw', [32, 32, 32], [1024, 1024, 1024], 'lz4hc'],
    ],
  )
  t.like(seg, { category: 'segmentation', dtypePerChannel: 'uint32', largestSegmentId: 7 })
  // The size on disk is what the files allocate (sparse raw files only what they use).
  const mag1 = color.mags[0]
  t.is(mag1.files, readdirSync(join(path, 'color', '1'), { recursive: true }).filter((f) => String(f).endsWith('.wkw') && !String(f).endsWith('header.wkw')).length)
  let allocated = 0
  for (const f of readdirSync(join(path, 'color', '1'), { recursive: true })) {
    const s = statSync(join(path, 'color', '1', String(f)))
    if (s.isFile()) allocated += s.blocks * 512
  }
  t.is(mag1.sizeOnDisk, allocated)
  t.true(mag1.sizeOnDisk > 0)
})

test('info of a missing dataset or a directory without properties fails with one line', async (t) => {
  const dir = tempDir(t)
  assertFailure(t, await wk(['info', join(dir, 'nope')]), 'info', 1, /does not exist/)
  assertFailure(t, await wk(['info', dir]), 'info', 1, /datasource-properties\.json/)
})

// ---------------------------------------------------------------------------------------------
// convert

tiffTest('convert of the TIFF stack: shape, dtype, voxels equal the decoded slices, downsampled', async (t) => {
  const target = join(tempDir(t), 'tiff')
  const result = await wk(['convert', tiffStack, target, '--scale', '11.24,11.24,25'])
  assertSuccess(t, result)
  t.regex(result.stdout, /convert: 257\/257 slices/)
  const ds = await Dataset.open(target)
  const layer = ds.getLayer('color')
  t.is(layer.category, 'color')
  t.is(layer.dtypePerChannel, 'uint8')
  t.is(layer.numChannels, 1)
  t.deepEqual([...layer.boundingBox.topLeft], [0, 0, 0])
  t.deepEqual([...layer.boundingBox.size], [265, 265, 257])
  t.is(layer.getMag(1).header.blockType, 'lz4hc')
  t.true(layer.mags.size > 1, `downsampled mags: ${[...layer.mags.keys()].join(', ')}`)
  const files = readdirSync(tiffStack).filter((f) => /\.tiff?$/i.test(f)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  for (const z of [0, 100, 256]) {
    const expected = await decodeImage(join(tiffStack, files[z]), 'grey8')
    t.is(expected.width, 265)
    const slice = await layer.getMag(1).read({ offset: [0, 0, z], size: [265, 265, 1] })
    t.true(sameData(slice.data, expected.data), `slice ${z} equals ${files[z]}`)
  }
})

tiffReferenceTest('convert of the TIFF stack holds the pixels that Pillow, an independent decoder, reads', async (t) => {
  const dir = tempDir(t)
  const target = join(dir, 'tiff')
  assertSuccess(t, await wk(['convert', tiffStack, target, '--scale', '1,1,1', '--no-downsample']))
  const files = readdirSync(tiffStack).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const picked = [0, 1, 127, 255, 256]
  const answer = oracle<{ shapes: number[][]; dtypes: string[] }>({ op: 'tiff_pixels', files: picked.map((z) => join(tiffStack, files[z])), out: join(dir, 'pixels') })
  t.deepEqual(answer.dtypes, picked.map(() => 'uint8'))
  t.deepEqual(answer.shapes, picked.map(() => [265, 265]))
  const pixels = readBytes(join(dir, 'pixels'))
  const mag = (await Dataset.open(target)).getLayer('color').getMag(1)
  for (const [i, z] of picked.entries()) {
    const slice = await mag.read({ offset: [0, 0, z], size: [265, 265, 1] })
    t.true(sameData(slice.data, pixels.subarray(i * 265 * 265, (i + 1) * 265 * 265)), `slice ${z} holds the pixels of ${files[z]}`)
  }
})

tiffTest('convert of part of the TIFF stack without downsampling or compression', async (t) => {
  const dir = tempDir(t)
  const images = join(dir, 'images')
  mkdirSync(images)
  const files = readdirSync(tiffStack).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).slice(30, 70)
  for (const f of files) cpSync(join(tiffStack, f), join(images, f))
  const target = join(dir, 'out')
  const result = await wk(['convert', images, target, '--scale', '1,1,1', '--no-downsample', '--no-compress', '--layer', 'em', '--name', 'part'])
  assertSuccess(t, result)
  const ds = await Dataset.open(target)
  t.is(ds.name, 'part')
  const layer = ds.getLayer('em')
  t.deepEqual([...layer.mags.keys()], ['1'])
  t.is(layer.getMag(1).header.blockType, 'raw')
  t.deepEqual([...layer.boundingBox.size], [265, 265, 40])
  const all = await layer.getMag(1).read({ offset: [0, 0, 0], size: [265, 265, 40] })
  for (const z of [0, 31, 32, 39]) {
    const expected = await decodeImage(join(images, files[z]), 'grey8')
    t.true(sameData(all.data.subarray(z * 265 * 265, (z + 1) * 265 * 265), expected.data), `slice ${z}`)
  }
})

test('convert sorts naturally, takes 16-bit PNGs as uint16 and computes the largest segment id', async (t) => {
  const dir = tempDir(t)
  const images = join(dir, 'images')
  mkdirSync(images)
  const [W, H] = [37, 21]
  // Slice k holds k * 1000 + x + y: the natural order 1, 2, 10 must become z = 0, 1, 2.
  const slices = [1, 2, 10].map((k) => {
    const data = new Uint16Array(W * H)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[x + W * y] = k * 1000 + x + y
    return { k, data }
  })
  for (const { k, data } of slices) await writePng(join(images, `slice${k}.PNG`), data, W, H)
  writeFileSync(join(images, 'notes.txt'), 'not an image')
  const target = join(dir, 'seg')
  const result = await wk(['convert', images, target, '--scale', '4,4,40', '--category', 'segmentation', '--layer', 'segmentation', '--no-downsample'])
  assertSuccess(t, result)
  const layer = (await Dataset.open(target)).getLayer('segmentation')
  t.true(layer instanceof SegmentationLayer)
  t.is(layer.dtypePerChannel, 'uint16')
  t.is((layer as SegmentationLayer).largestSegmentId, 10 * 1000 + W - 1 + H - 1)
  const read = await layer.getMag(1).read({ offset: [0, 0, 0], size: [W, H, 3] })
  slices.forEach(({ data }, z) => t.true(sameData(read.data.subarray(z * W * H, (z + 1) * W * H), data), `z = ${z}`))
})

test('convert of RGB PNGs makes a 3-channel uint8 layer; --dtype uint16 widens 8-bit images', async (t) => {
  const dir = tempDir(t)
  const rgb = join(dir, 'rgb')
  const grey = join(dir, 'grey')
  mkdirSync(rgb)
  mkdirSync(grey)
  const [W, H] = [19, 11]
  const colours = [0, 1].map((k) => randomArray('uint8', W * H * 3, k + 3) as Uint8Array)
  for (const [k, data] of colours.entries()) await writePng(join(rgb, `${k}.png`), data, W, H, 3)
  const greys = [0, 1].map((k) => randomArray('uint8', W * H, k + 9) as Uint8Array)
  for (const [k, data] of greys.entries()) await writePng(join(grey, `${k}.png`), data, W, H)

  assertSuccess(t, await wk(['convert', rgb, join(dir, 'rgb-ds'), '--scale', '1,1,1', '--no-downsample']))
  const layer = (await Dataset.open(join(dir, 'rgb-ds'))).getLayer('color')
  t.is(layer.numChannels, 3)
  t.is(layer.dtypePerLayer, 'uint24')
  const read = await layer.getMag(1).read({ offset: [0, 0, 0], size: [W, H, 2] })
  colours.forEach((data, z) => t.true(sameData(read.data.subarray(z * W * H * 3, (z + 1) * W * H * 3), data), `z = ${z}`))

  assertSuccess(t, await wk(['convert', grey, join(dir, 'wide'), '--scale', '1,1,1', '--no-downsample', '--dtype', 'uint16']))
  const wide = (await Dataset.open(join(dir, 'wide'))).getLayer('color')
  t.is(wide.dtypePerChannel, 'uint16')
  const widened = await wide.getMag(1).read({ offset: [0, 0, 0], size: [W, H, 2] })
  t.true(sameData(widened.data, Uint16Array.from([...greys[0], ...greys[1]])))
})

test('convert refuses bad input before writing anything', async (t) => {
  const dir = tempDir(t)
  const images = join(dir, 'images')
  mkdirSync(images)
  await writePng(join(images, '1.png'), new Uint8Array(8 * 8), 8, 8)
  await writePng(join(images, '2.png'), new Uint8Array(8 * 9), 8, 9)
  const target = join(dir, 'out')

  // A target that is not empty: exit 1, its contents untouched.
  const occupied = join(dir, 'occupied')
  mkdirSync(occupied)
  writeFileSync(join(occupied, 'keep.txt'), 'x')
  assertFailure(t, await wk(['convert', images, occupied, '--scale', '1,1,1']), 'convert', 1, /not empty/)
  t.deepEqual(readdirSync(occupied), ['keep.txt'])

  // Bad option values: usage errors (exit 2).
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,x,1']), 'convert', 2, /--scale/)
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1']), 'convert', 2, /--scale/)
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1,-1']), 'convert', 2, /--scale/)
  assertFailure(t, await wk(['convert', images, target]), 'convert', 2, /--scale/)
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1,1', '--dtype', 'float32']), 'convert', 2, /--dtype/)
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1,1', '--max-mag', '3']), 'convert', 2, /--max-mag/)
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1,1', '--jobs', '0']), 'convert', 2, /--jobs/)
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1,1', '--category', 'mask']), 'convert', 2, /--category/)
  // Slices of different sizes: exit 1.
  assertFailure(t, await wk(['convert', images, target, '--scale', '1,1,1']), 'convert', 1, /2\.png.*8x9.*same size/)
  // A missing folder or one without images.
  assertFailure(t, await wk(['convert', join(dir, 'missing'), target, '--scale', '1,1,1']), 'convert', 1, /does not exist/)
  const empty = join(dir, 'empty')
  mkdirSync(empty)
  assertFailure(t, await wk(['convert', empty, target, '--scale', '1,1,1']), 'convert', 1, /No images/)
  // 16-bit images do not fit --dtype uint8.
  const wide = join(dir, 'wide')
  mkdirSync(wide)
  await writePng(join(wide, '1.png'), new Uint16Array(8 * 8).fill(1000), 8, 8)
  assertFailure(t, await wk(['convert', wide, target, '--scale', '1,1,1', '--dtype', 'uint8']), 'convert', 2, /uint16/)
  t.false(existsSync(target), 'nothing was written')
})

// ---------------------------------------------------------------------------------------------
// export-tiff

test('export-tiff writes one TIFF per slice that decodes to the voxels (uint8, named, with --bbox)', async (t) => {
  const { path, colorData } = await smallDataset(t)
  const out = join(tempDir(t), 'tiffs')
  // The box (10, 8, 9) + (20, 15, 6) lies inside the data written at (5, 6, 7).
  const result = await wk(['export-tiff', path, out, '--bbox', '10,8,9,20,15,6', '--name', 'test_export'])
  assertSuccess(t, result)
  t.deepEqual(readdirSync(out).sort(), [1, 2, 3, 4, 5, 6].map((k) => `test_export_00000${k}.tiff`))
  for (let k = 1; k <= 6; k++) {
    const image = await decodeImage(join(out, `test_export_00000${k}.tiff`), 'grey8')
    t.is(image.width, 20)
    t.is(image.height, 15)
    const expected = new Uint8Array(20 * 15)
    for (let y = 0; y < 15; y++) {
      for (let x = 0; x < 20; x++) {
        // Voxel (10 + x, 8 + y, 9 + k - 1) of the layer is element (x + 5, y + 2, k + 1) of the written data.
        expected[x + 20 * y] = colorData.data[x + 5 + 40 * (y + 2 + 30 * (k + 1))]
      }
    }
    t.true(sameData(image.data, expected), `slice ${k}`)
  }
  const meta = await sharp(join(out, 'test_export_000001.tiff')).metadata()
  t.is(meta.channels, 1)
  t.is(meta.depth, 'uchar')
})

test('export-tiff of uint16 and RGB layers and of mag 2, default names and box', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const [W, H, D] = [23, 17, 3]
  const grey = await ds.addLayer('grey', 'color', { dtypePerChannel: 'uint16' })
  const greyData = randomArray('uint16', W * H * D, 5) as Uint16Array
  await (await grey.addMag(1)).write({ data: greyData, shape: [W, H, D] })
  const rgb = await ds.addLayer('rgb', 'color', { dtypePerLayer: 'uint24', numChannels: 3 })
  const rgbData = randomArray('uint8', 3 * W * H * D, 6) as Uint8Array
  await (await rgb.addMag(1)).write({ data: rgbData, shape: [3, W, H, D] })
  // Mag 2 of the grey layer written directly: (12, 9, 2) voxels of mag 2 grow the layer's box to (24, 18, 4).
  const mag2Data = randomArray('uint16', 12 * 9 * 2, 7) as Uint16Array
  await (await grey.addMag(2)).write({ data: mag2Data, shape: [12, 9, 2] })

  const out16 = join(tempDir(t), 'grey')
  assertSuccess(t, await wk(['export-tiff', path, out16, '--layer', 'grey', '--bbox', `0,0,0,${W},${H},${D}`]))
  t.deepEqual(readdirSync(out16).sort(), ['000001.tiff', '000002.tiff', '000003.tiff'])
  for (let k = 1; k <= D; k++) {
    const file = join(out16, `00000${k}.tiff`)
    t.is((await sharp(file).metadata()).depth, 'ushort')
    const image = await decodeImage(file, 'grey16')
    t.true(sameData(image.data, greyData.subarray((k - 1) * W * H, k * W * H)), `uint16 slice ${k}`)
  }

  const outRgb = join(tempDir(t), 'rgb')
  assertSuccess(t, await wk(['export-tiff', path, outRgb, '--layer', 'rgb', '--name', 'c']))
  for (let k = 1; k <= D; k++) {
    const image = await decodeImage(join(outRgb, `c_00000${k}.tiff`), 'rgb')
    t.true(sameData(image.data, rgbData.subarray((k - 1) * W * H * 3, k * W * H * 3)), `rgb slice ${k}`)
  }

  const outMag2 = join(tempDir(t), 'mag2')
  assertSuccess(t, await wk(['export-tiff', path, outMag2, '--layer', 'grey', '--mag', '2']))
  t.deepEqual(readdirSync(outMag2).sort(), ['000001.tiff', '000002.tiff'])
  for (let k = 1; k <= 2; k++) {
    const image = await decodeImage(join(outMag2, `00000${k}.tiff`), 'grey16')
    t.is(image.width, 12)
    t.is(image.height, 9)
    t.true(sameData(image.data, mag2Data.subarray((k - 1) * 12 * 9, k * 12 * 9)), `mag 2 slice ${k}`)
  }
})

test('export-tiff refuses bad input before writing anything', async (t) => {
  const { path } = await smallDataset(t)
  const out = join(tempDir(t), 'out')
  assertFailure(t, await wk(['export-tiff', path, out, '--bbox', '0,0,0,10,10']), 'export-tiff', 2, /--bbox/)
  assertFailure(t, await wk(['export-tiff', path, out, '--bbox', '0,0,0,10,10,0']), 'export-tiff', 2, /--bbox/)
  assertFailure(t, await wk(['export-tiff', path, out, '--bbox', 'a,0,0,10,10,1']), 'export-tiff', 2, /--bbox/)
  assertFailure(t, await wk(['export-tiff', path, out, '--mag', '2-x']), 'export-tiff', 2, /--mag/)
  assertFailure(t, await wk(['export-tiff', path, out, '--mag', '2']), 'export-tiff', 1, /Mag 2 is not a mag/)
  assertFailure(t, await wk(['export-tiff', path, out, '--layer', 'nope']), 'export-tiff', 1, /Layer "nope"/)
  // sharp writes no 32-bit images.
  assertFailure(t, await wk(['export-tiff', path, out, '--layer', 'segmentation']), 'export-tiff', 1, /uint32/)
  assertFailure(t, await wk(['export-tiff', path]), 'export-tiff', 2, /destination/)
  t.true(nothingAt(out))
  // Two color layers: --layer is required.
  const ds = await Dataset.open(path)
  await ds.addLayer('color2', 'color')
  assertFailure(t, await wk(['export-tiff', path, out]), 'export-tiff', 2, /--layer/)
  t.true(nothingAt(out))
})

// ---------------------------------------------------------------------------------------------
// check-equality

test('check-equality: equal copies exit 0; one changed voxel exits 1 naming the position', async (t) => {
  const { path } = await smallDataset(t)
  const copyPath = join(tempDir(t), 'copy')
  // An uncompressed copy, so the one-voxel write below needs no padding (compressed copies are compared in the compress tests).
  await (await Dataset.open(path)).copyDataset(copyPath)

  const equal = await wk(['check-equality', path, copyPath])
  assertSuccess(t, equal)
  t.is(lines(equal.stdout).at(-1), 'equal')

  const copy = await Dataset.open(copyPath)
  const mag = copy.getLayer('color').getMag(1)
  const before = await mag.read({ offset: [12, 13, 14], size: [1, 1, 1] })
  const changed = (before.data[0] as number) ^ 0xff
  await mag.write({ data: Uint8Array.of(changed), shape: [1, 1, 1] }, { offset: [12, 13, 14] })
  const different = await wk(['check-equality', path, copyPath])
  t.is(different.code, 1)
  t.is(different.stderr, '')
  t.regex(lines(different.stdout).at(-1) ?? '', new RegExp(`^not equal: layer "color" mag 1: voxel \\(12, 13, 14\\) is ${before.data[0]} in a and ${changed} in b$`))

  // --layer restricts the comparison.
  const onlySeg = await wk(['check-equality', path, copyPath, '--layer', 'segmentation'])
  assertSuccess(t, onlySeg)
  t.is(lines(onlySeg.stdout).at(-1), 'equal')
})

test('check-equality reports different layers and mags, and fails on a missing dataset', async (t) => {
  const { path } = await smallDataset(t)
  const other = await smallDataset(t, 'other', { segmentation: false })
  const layers = await wk(['check-equality', path, other.path])
  t.is(layers.code, 1)
  t.regex(layers.stdout, /not equal: the layers differ: a has color, segmentation, b has color/)

  const copyPath = join(tempDir(t), 'copy')
  const copy = await (await Dataset.open(path)).copyDataset(copyPath)
  await copy.getLayer('color').addMag(2)
  const mags = await wk(['check-equality', path, copyPath])
  t.is(mags.code, 1)
  t.regex(mags.stdout, /layer "color": the mags differ: a has 1, b has 1, 2/)

  assertFailure(t, await wk(['check-equality', path, join(tempDir(t), 'missing')]), 'check-equality', 1, /does not exist/)
  assertFailure(t, await wk(['check-equality', path]), 'check-equality', 2, /missing required argument 'b'/)
})

// ---------------------------------------------------------------------------------------------
// compress

test('compress in place turns every mag into LZ4HC with the same voxels', async (t) => {
  const { path, colorData, segData } = await smallDataset(t)
  const result = await wk(['compress', path])
  assertSuccess(t, result)
  const ds = await Dataset.open(path)
  for (const layer of ds.layers.values()) for (const mag of layer.mags.values()) t.is(mag.header.blockType, 'lz4hc', `${layer.name}/${mag.name}`)
  t.true(sameData((await readMag(path, 'color', '1', [5, 6, 7], [40, 30, 20])).data, colorData.data))
  t.true(sameData((await readMag(path, 'segmentation', '1', [0, 0, 0], [16, 16, 16])).data, segData!))
})

test('compress into a target writes a usable dataset; --layer/--mag select what is copied', async (t) => {
  const { path } = await smallDataset(t)
  const target = join(tempDir(t), 'compressed')
  assertSuccess(t, await wk(['compress', path, target]))
  t.true(existsSync(join(target, 'datasource-properties.json')))
  const copy = await Dataset.open(target)
  t.is(copy.getLayer('color').getMag(1).header.blockType, 'lz4hc')
  // The source is untouched.
  t.is((await Dataset.open(path)).getLayer('color').getMag(1).header.blockType, 'raw')
  const check = await wk(['check-equality', path, target])
  assertSuccess(t, check)

  // Only the selected layer and mag go into the target, and its properties.
  const ds = await Dataset.open(path)
  await ds.getLayer('color').addMag(2)
  const partial = join(tempDir(t), 'partial')
  assertSuccess(t, await wk(['compress', path, partial, '--layer', 'color', '--mag', '1']))
  const json = readJson(partial)
  t.deepEqual(
    json.dataLayers.map((l: any) => l.name),
    ['color'],
  )
  t.is(json.dataLayers[0].wkwResolutions.length, 1)
  t.deepEqual(readdirSync(join(partial, 'color')), ['1'])
})

test('compress refuses a non-empty target, a missing layer or mag, writing nothing', async (t) => {
  const { path } = await smallDataset(t)
  const occupied = join(tempDir(t), 'occupied')
  mkdirSync(occupied)
  writeFileSync(join(occupied, 'x'), 'x')
  assertFailure(t, await wk(['compress', path, occupied]), 'compress', 1, /not empty/)
  t.deepEqual(readdirSync(occupied), ['x'])
  const target = join(tempDir(t), 'target')
  assertFailure(t, await wk(['compress', path, target, '--layer', 'nope']), 'compress', 1, /Layer "nope"/)
  assertFailure(t, await wk(['compress', path, target, '--mag', '4']), 'compress', 1, /Mag 4/)
  assertFailure(t, await wk(['compress', path, target, '--mag', 'x']), 'compress', 2, /--mag/)
  t.false(existsSync(target))
  assertFailure(t, await wk(['compress', path, '--mag', '8']), 'compress', 1, /Mag 8/)
  t.is((await Dataset.open(path)).getLayer('color').getMag(1).header.blockType, 'raw', 'nothing compressed in place')
})

// ---------------------------------------------------------------------------------------------
// downsample and upsample

test('downsample creates the mags of every layer (or of --layer)', async (t) => {
  const { path } = await smallDataset(t)
  const result = await wk(['downsample', path, '--max', '4', '--sampling-mode', 'isotropic'])
  assertSuccess(t, result)
  t.regex(result.stdout, /color: mag 1 -> 2, 4/)
  t.regex(result.stdout, /mag 1 -> 2: \d+ files?, [\d.]+ s, .*voxels\/s/)
  const ds = await Dataset.open(path)
  t.deepEqual([...ds.getLayer('color').mags.keys()], ['1', '2', '4'])
  t.deepEqual([...ds.getLayer('segmentation').mags.keys()], ['1', '2', '4'])
  t.is(ds.getLayer('color').getMag(2).header.blockType, 'lz4hc')

  const other = await smallDataset(t, 'other')
  assertSuccess(t, await wk(['downsample', other.path, '--layer', 'color', '--max', '2', '--no-compress', '--interpolation', 'max', '--jobs', '1']))
  const ds2 = await Dataset.open(other.path)
  t.deepEqual([...ds2.getLayer('color').mags.keys()], ['1', '2'])
  t.is(ds2.getLayer('color').getMag(2).header.blockType, 'raw')
  t.deepEqual([...ds2.getLayer('segmentation').mags.keys()], ['1'])
})

test('downsample refuses bad options before writing anything', async (t) => {
  const { path } = await smallDataset(t)
  const ds = await Dataset.open(path)
  // The segmentation layer has mag 2 already: nothing may be written for the color layer either.
  await ds.getLayer('segmentation').addMag(2)
  const before = readFileSync(join(path, 'datasource-properties.json'), 'utf8')
  assertFailure(
    t,
    await wk(['downsample', path, '--from', '1', '--max', '2', '--sampling-mode', 'isotropic']),
    'downsample',
    1,
    /Mag 2 already exists in layer "segmentation"/,
  )
  t.false(existsSync(join(path, 'color', '2')))
  assertFailure(t, await wk(['downsample', path, '--layer', 'nope']), 'downsample', 1, /Layer "nope"/)
  assertFailure(t, await wk(['downsample', path, '--layer', 'color', '--from', '8']), 'downsample', 1, /Mag 8/)
  assertFailure(t, await wk(['downsample', path, '--sampling-mode', 'diagonal']), 'downsample', 2, /--sampling-mode/)
  assertFailure(t, await wk(['downsample', path, '--interpolation', 'cubic']), 'downsample', 2, /--interpolation/)
  assertFailure(t, await wk(['downsample', path, '--max', '3']), 'downsample', 2, /--max/)
  assertFailure(t, await wk(['downsample', path, '--buffer-edge-len', '-4']), 'downsample', 2, /--buffer-edge-len/)
  assertFailure(t, await wk(['downsample', join(path, 'missing')]), 'downsample', 1, /does not exist/)
  t.is(readFileSync(join(path, 'datasource-properties.json'), 'utf8'), before)
  t.deepEqual(readdirSync(join(path, 'color')), ['1'])
})

test('upsample creates the finer mags from --from', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color')
  const data = voxels8([8, 8, 8], 4)
  await (await layer.addMag(4)).write(data)
  const result = await wk(['upsample', path, '--from', '4', '--no-compress'])
  assertSuccess(t, result)
  const opened = (await Dataset.open(path)).getLayer('color')
  t.deepEqual([...opened.mags.keys()].sort(), ['1', '2', '4'])
  t.is(opened.getMag(1).header.blockType, 'raw')
  // Nearest neighbour: voxel (x, y, z) of mag 1 is voxel (x/4, y/4, z/4) of mag 4.
  const mag1 = await opened.getMag(1).read({ offset: [0, 0, 0], size: [32, 32, 32] })
  let same = true
  for (let z = 0; z < 32; z++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
    if (mag1.data[x + 32 * (y + 32 * z)] !== data.data[(x >> 2) + 8 * ((y >> 2) + 8 * (z >> 2))]) same = false
  }
  t.true(same)
})

test('upsample needs --from and, with several layers, --layer', async (t) => {
  const { path } = await smallDataset(t)
  assertFailure(t, await wk(['upsample', path]), 'upsample', 2, /--from/)
  assertFailure(t, await wk(['upsample', path, '--from', '2']), 'upsample', 2, /--layer/)
  assertFailure(t, await wk(['upsample', path, '--from', '2', '--layer', 'color']), 'upsample', 1, /Mag 2/)
  assertFailure(t, await wk(['upsample', path, '--from', '2', '--layer', 'color', '--min', 'zero']), 'upsample', 2, /--min/)
  t.deepEqual(readdirSync(join(path, 'color')), ['1'])
})

// ---------------------------------------------------------------------------------------------
// demo

test('demo --size 64 creates, downsamples and describes a dataset with timings', async (t) => {
  const dir = join(tempDir(t), 'demo')
  const result = await wk(['demo', dir, '--size', '64'])
  assertSuccess(t, result)
  t.regex(result.stdout, /voxels\/s/)
  t.regex(result.stdout, /mag 1 -> 2-2-1: \d+ files?, [\d.]+ s/)
  t.regex(result.stdout, /Layer "segmentation"/)
  const ds = await Dataset.open(dir)
  t.deepEqual([...ds.scale], [11.24, 11.24, 28])
  const color = ds.getLayer('color')
  const seg = ds.getLayer('segmentation') as SegmentationLayer
  t.is(color.dtypePerChannel, 'uint8')
  t.is(seg.dtypePerChannel, 'uint32')
  for (const layer of [color, seg] as Layer[]) {
    t.deepEqual([...layer.boundingBox.size], [64, 64, 64])
    t.true(layer.mags.size > 1, `${layer.name} is downsampled`)
    for (const mag of layer.mags.values()) if (!mag.mag.equals(new Mag(1))) t.is(mag.header.blockType, 'lz4hc')
  }
  const labels = (await seg.getMag(1).read({ offset: [0, 0, 0], size: [64, 64, 64] })).data as Uint32Array
  let max = 0
  for (const v of labels) if (v > max) max = v
  t.true(max > 0)
  t.is(seg.largestSegmentId, max)
  const voxels = (await color.getMag(1).read({ offset: [0, 0, 0], size: [64, 64, 64] })).data as Uint8Array
  t.true(new Set(voxels).size > 50, 'the color layer is not flat')

  // Into a directory that is not empty: exit 1, nothing changed.
  const again = await wk(['demo', dir, '--size', '8'])
  assertFailure(t, again, 'demo', 1, /not empty/)
  assertFailure(t, await wk(['demo', join(tempDir(t), 'x'), '--size', '0']), 'demo', 2, /--size/)
})

// ---------------------------------------------------------------------------------------------
// building blocks, in process

test('option parsers accept what they document and reject the rest', async (t) => {
  const { parseBoundingBox, parseMag, parsePositiveInt, parseScale } = await import('../apps/cli/options')
  t.deepEqual(parseScale('11.24,11.24,28'), [11.24, 11.24, 28])
  t.deepEqual(parseScale(' 1e1, .5 ,2 '), [10, 0.5, 2])
  for (const bad of ['1,1', '1,1,0', '1,-1,1', 'a,b,c', '1,,1', '1,1,1,1']) t.throws(() => parseScale(bad), undefined, bad)
  t.is(parseMag('2-2-1').toLayerName(), '2-2-1')
  t.is(parseMag('4').toLayerName(), '4')
  t.is(parseMag('2,2,1').toLayerName(), '2-2-1')
  for (const bad of ['3', '0', '2-2', 'x', '-2']) t.throws(() => parseMag(bad), undefined, bad)
  const box = parseBoundingBox('1,2,3,4,5,6')
  t.deepEqual([...box.topLeft, ...box.size], [1, 2, 3, 4, 5, 6])
  for (const bad of ['1,2,3,4,5', '-1,0,0,1,1,1', '0,0,0,0,1,1', '0,0,0,1.5,1,1']) t.throws(() => parseBoundingBox(bad), undefined, bad)
  t.is(parsePositiveInt('8'), 8)
  for (const bad of ['0', '-1', '1.5', 'x', '']) t.throws(() => parsePositiveInt(bad), undefined, bad)
})

test('slices sort naturally', async (t) => {
  const { sortNaturally } = await import('../lib/images/image-stack')
  t.deepEqual(sortNaturally(['10.tif', '2.tif', '1.tif', 'img_100.png', 'img_20.png']), ['1.tif', '2.tif', '10.tif', 'img_20.png', 'img_100.png'])
  t.deepEqual(sortNaturally(['z10.TIF', 'Z9.tif']), ['Z9.tif', 'z10.TIF'])
})

test.serial('the plain progress reporter prints a few lines and always the final one', async (t) => {
  const { progress } = await import('../apps/cli/progress')
  const written: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  try {
    const reporter = progress('downsample', 'files', { tty: false })
    for (let done = 0; done <= 40; done++) reporter.onProgress({ done, total: 40 })
    reporter.stop()
    const quiet = progress('x', 'files', { quiet: true })
    quiet.onProgress({ done: 1, total: 1 })
    quiet.stop()
  } finally {
    process.stdout.write = write
  }
  t.deepEqual(written, ['downsample: 0/40 files\n', 'downsample: 40/40 files\n'])
})

// ---------------------------------------------------------------------------------------------
// copy-dataset and the data formats

test('copy-dataset converts WKW to Zarr v3, Zarr v2 and back with identical voxels; info shows each format', async (t) => {
  const { path } = await smallDataset(t)
  const root = tempDir(t)
  const zarr3 = join(root, 'zarr3')
  const result = await wk(['copy-dataset', path, zarr3, '--data-format', 'zarr3', '--chunk-shape', '16', '--shard-shape', '64,64,32'])
  assertSuccess(t, result)
  t.regex(result.stdout, /as zarr3/)
  const converted = await Dataset.open(zarr3)
  t.deepEqual([...converted.layers.values()].map((l) => l.dataFormat), ['zarr3', 'zarr3'])
  t.deepEqual(converted.getLayer('color').getMag(1).info, { dataFormat: 'zarr3', voxelType: 'uint8', numChannels: 1, chunkShape: [16, 16, 16], shardShape: [64, 64, 32], compression: 'zstd' })
  assertSuccess(t, await wk(['check-equality', path, zarr3]))
  const zarr2 = join(root, 'zarr2')
  assertSuccess(t, await wk(['copy-dataset', zarr3, zarr2, '--data-format', 'zarr', '--no-compress']))
  t.is((await Dataset.open(zarr2)).getLayer('color').getMag(1).info.compression, 'none')
  const back = join(root, 'back')
  assertSuccess(t, await wk(['copy-dataset', zarr2, back, '--data-format', 'wkw']))
  assertSuccess(t, await wk(['check-equality', path, back]))
  const info = await wk(['info', zarr3])
  assertSuccess(t, info)
  t.regex(info.stdout, /1\s+zarr3\s+16³\s+64×64×32\s+zstd/)
})

test('copy-dataset refuses a bad format, a bad shape and a non-empty target, writing nothing', async (t) => {
  const { path } = await smallDataset(t)
  const target = join(tempDir(t), 'copy')
  assertFailure(t, await wk(['copy-dataset', path, target, '--data-format', 'n5']), 'copy-dataset', 2, /--data-format/)
  assertFailure(t, await wk(['copy-dataset', path, target, '--chunk-shape', '0']), 'copy-dataset', 2, /--chunk-shape/)
  assertFailure(t, await wk(['copy-dataset', path, target, '--data-format', 'zarr', '--shard-shape', '64']), 'copy-dataset', 1, /Zarr v2 has no shards/)
  t.true(nothingAt(target))
  mkdirSync(target)
  writeFileSync(join(target, 'x'), 'occupied')
  assertFailure(t, await wk(['copy-dataset', path, target]), 'copy-dataset', 1, /not empty/)
})

for (const format of ['zarr3', 'zarr'] as const) {
  test(`${format}: downsample, compress and check-equality through the command line`, async (t) => {
    const { path, colorData } = await smallDataset(t, 'ds', { format })
    assertSuccess(t, await wk(['downsample', path, '--max', '4', '--sampling-mode', 'isotropic']))
    const layer = (await Dataset.open(path)).getLayer('color')
    t.deepEqual([...layer.mags.keys()].sort(), ['1', '2', '4'])
    t.is(layer.getMag(2).info.dataFormat, format)
    const copy = join(tempDir(t), 'copy')
    assertSuccess(t, await wk(['copy-dataset', path, copy, '--no-compress']))
    t.is((await Dataset.open(copy)).getLayer('color').getMag(1).info.compression, 'none')
    assertSuccess(t, await wk(['compress', copy]))
    t.is((await Dataset.open(copy)).getLayer('color').getMag(1).info.compression, 'zstd')
    assertSuccess(t, await wk(['check-equality', path, copy, '--layer', 'color']))
    t.true(sameData((await readMag(copy, 'color', '1', [5, 6, 7], [40, 30, 20])).data, colorData.data))
  })
}

test('convert --data-format zarr3 writes the slices into a Zarr v3 layer', async (t) => {
  const dir = tempDir(t)
  const images = join(dir, 'images')
  mkdirSync(images)
  const [W, H] = [45, 33]
  const slices = [0, 1, 2, 3].map((k) => {
    const data = new Uint16Array(W * H)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[x + W * y] = k * 100 + x + 2 * y
    return data
  })
  for (const [k, data] of slices.entries()) await writePng(join(images, `s${k}.png`), data, W, H)
  const target = join(dir, 'out')
  assertSuccess(t, await wk(['convert', images, target, '--scale', '1,1,1', '--data-format', 'zarr3', '--max-mag', '2']))
  const layer = (await Dataset.open(target)).getLayer('color')
  t.is(layer.dataFormat, 'zarr3')
  t.deepEqual([...layer.mags.keys()], ['1', '2'])
  t.is(layer.getMag(1).info.compression, 'zstd')
  const read = await layer.getMag(1).read({ offset: [0, 0, 0], size: [W, H, 4] })
  slices.forEach((data, z) => t.true(sameData(read.data.subarray(z * W * H, (z + 1) * W * H), data), `z = ${z}`))
})
