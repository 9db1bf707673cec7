// Downsampling and upsampling of a layer through the public API: Layer.downsample, downsampleMag,
// downsampleMagList and upsample (shared/spec/api.md "Downsampling details" and deliberate
// differences 1–3), plus the pure mag-ladder functions of lib/sampling-plan.ts.
//
// Ported from the Python reference's wkcuber/tests/test_downsampling.py and test_upsampling.py
// (python-reference-behaviour.md §4, §7.2) and today's webknossos test_mag_calculation
// (webknossos-today.md §2.1). Each port names its Python original. Where our contract differs from
// the 2021 reference, the test asserts our behaviour and says so.
//
// Expected voxels come from the small reference reducers in helpers/sampling.ts (median, mode, max,
// min, replication) or, for the linear modes (nearest, bilinear, bicubic), from hand vectors that
// were computed once with scipy.ndimage.zoom(order 0/1/2, mode="nearest") (scipy 1.17.1) and are
// written out below. The library's own kernels are never used to compute an expectation.
import test, { type ExecutionContext } from 'ava'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { performance as nodePerformance } from 'node:perf_hooks'
import {
  AbortError,
  BoundingBox,
  type DataFormat,
  Dataset,
  type DType,
  type Layer,
  Mag,
  type MagLike,
  type Progress,
  type TypedArray,
  type Vec3,
  WkwDataset,
} from '../index'
import { arrayType } from '../lib/storage/dtype'
import { defaultMaxMag, magsToDownsample, magsToUpsample, orderMagList, samplingSetup } from '../lib/sampling/ladder'
import { randomArray } from './helpers/data'
import { formatSerial, formatTest, inFormat, magEntriesOf } from './helpers/formats'
import { tempDir } from './helpers/paths'
import { type Grid, type Reducer, downsampleReference, firstDifference, gridOf, upsampleReference } from './helpers/sampling'
import { code, readJson } from './helpers/voxels'

// ---------------------------------------------------------------------------------------------
// Helpers

interface Setup {
  path: string
  ds: Dataset
  layer: Layer
}

/**
 * A dataset with one layer and one (empty) mag. Mags use blockLen 8 and fileLen 4 (32-voxel
 * files) unless told otherwise, which keeps every file small.
 */
async function setup(
  t: ExecutionContext,
  o: { scale?: Vec3; dtype?: DType; channels?: number; segmentation?: boolean; mag?: MagLike; blockLen?: number; fileLen?: number; format?: DataFormat } = {},
): Promise<Setup> {
  const path = join(tempDir(t), 'ds')
  const ds = inFormat(await Dataset.create(path, { scale: o.scale ?? [1, 1, 1] }), o.format ?? 'wkw')
  const dtype = o.dtype ?? 'uint8'
  const layer = o.segmentation
    ? await ds.addLayer('segmentation', 'segmentation', { dtypePerChannel: dtype, largestSegmentId: 1000 })
    : await ds.addLayer('color', 'color', { dtypePerChannel: dtype, numChannels: o.channels ?? 1 })
  await layer.addMag(o.mag ?? 1, { blockLen: o.blockLen ?? 8, fileLen: o.fileLen ?? 4 })
  return { path, ds, layer }
}

/** `setup` plus `data` written to the first mag at `offset`. */
async function setupWith(t: ExecutionContext, data: Grid, o: Parameters<typeof setup>[1] & { offset?: Vec3 } = {}): Promise<Setup> {
  const s = await setup(t, { ...o, channels: data.shape[0] })
  await s.layer.getMag(o.mag ?? 1).write(data, { offset: o.offset ?? [0, 0, 0] })
  return s
}

const volume = (s: readonly number[]) => s.reduce((a, b) => a * b, 1)
const magNames = (layer: Layer) => [...layer.mags.keys()].sort()
const names = (mags: Mag[]) => mags.map((m) => m.toLayerName())
/** The directories (mags) in `path`: a layer of Zarr also holds its group metadata file. */
const dirs = (path: string) => (existsSync(path) ? readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [])

/** Grid whose i-th element (memory order) is `f(i)`. */
function gridFromIndex(dtype: DType, shape: Grid['shape'], f: (i: number) => number | bigint): Grid {
  const data = new (arrayType(dtype))(volume(shape)) as TypedArray
  const big = typeof data[0] === 'bigint'
  for (let i = 0; i < data.length; i++) (data as unknown as (number | bigint)[])[i] = big ? BigInt(f(i)) : Number(f(i))
  return { data, shape }
}

/** Random data of `dtype` (all bits random; finite for floats). */
const randomGrid = (dtype: DType, shape: Grid['shape'], seed: number): Grid => ({ data: randomArray(dtype, volume(shape), seed), shape })

/** `g` placed at `offset` in a zero grid of `size`: what a mag holds when only `g` was written. */
function placed(g: Grid, offset: Vec3, size: Vec3, dtype: DType): Grid {
  const [, X, Y, Z] = g.shape
  return gridOf(dtype, [g.shape[0], ...size], (c, x, y, z) => {
    const [gx, gy, gz] = [x - offset[0], y - offset[1], z - offset[2]]
    if (gx < 0 || gy < 0 || gz < 0 || gx >= X || gy >= Y || gz >= Z) return typeof g.data[0] === 'bigint' ? 0n : 0
    return g.data[c + g.shape[0] * (gx + X * (gy + Y * gz))] as number | bigint
  })
}

async function expectMag(t: ExecutionContext, layer: Layer, mag: MagLike, offset: Vec3, expected: Grid, message: string): Promise<void> {
  const actual = await layer.getMag(mag).read({ offset, size: [expected.shape[1], expected.shape[2], expected.shape[3]] })
  t.is(firstDifference(actual, expected), undefined, message)
}

/** The x-line (y = z = 0 unless given) of channel 0 of a mag. */
async function xLine(layer: Layer, mag: MagLike, length: number, y = 0, z = 0): Promise<(number | bigint)[]> {
  const read = await layer.getMag(mag).read({ offset: [0, y, z], size: [length, 1, 1] })
  return [...(read.data as unknown as Iterable<number | bigint>)]
}

/** One x-line of `values`, repeated over y and z (2 × 2 unless given), as a one-channel grid. */
function ramp(dtype: DType, values: (number | bigint)[], yz: [number, number] = [2, 2]): Grid {
  return gridOf(dtype, [1, values.length, yz[0], yz[1]], (_c, x) => values[x])
}

// ---------------------------------------------------------------------------------------------
// Mag ladders: the pure functions of lib/sampling-plan.ts

// Today's test_mag_calculation (webknossos-today.md §2.1): [voxel size or sampling mode, from,
// coarsest, scheme including from]. "auto" (a voxel size) uses today's anisotropic rule, which the
// contract adopts (deliberate difference 1).
const MAG_CASES: [Vec3 | 'isotropic' | 'constant_z', string, string, string[]][] = [
  [[10.5, 10.5, 24], '1', '16', ['1', '2-2-1', '4-4-2', '8-8-4', '16-16-8']],
  [[10.5, 10.5, 24], '1', '16-16-8', ['1', '2-2-1', '4-4-2', '8-8-4', '16-16-8']],
  [[10.5, 10.5, 24], '1', '16-16-4', ['1', '2-2-1', '4-4-2', '8-8-4', '16-16-4']],
  [[10.5, 10.5, 35], '1', '16', ['1', '2-2-1', '4-4-1', '8-8-2', '16-16-4']],
  [[10.5, 10.5, 10.5], '1', '16', ['1', '2', '4', '8', '16']],
  [[10.5, 10.5, 10.5], '1', '8-8-16', ['1', '2', '4', '8', '8-8-16']],
  [[1, 1, 2], '2-2-1', '16-16-8', ['2-2-1', '4-4-2', '8-8-4', '16-16-8']],
  [[1, 1, 2], '2', '16-16-8', ['2', '4-4-2', '8-8-4', '16-16-8']],
  [[1, 1, 4], '1', '16-16-2', ['1', '2-2-1', '4-4-1', '8-8-2', '16-16-2']],
  ['isotropic', '1', '8', ['1', '2', '4', '8']],
  ['isotropic', '1', '16-16-8', ['1', '2', '4', '8', '16-16-8']],
  ['isotropic', '2-2-1', '8-8-4', ['2-2-1', '4-4-2', '8-8-4']],
  ['isotropic', '2-2-1', '8', ['2-2-1', '4-4-2', '8-8-4']],
  ['constant_z', '1', '16-16-1', ['1', '2-2-1', '4-4-1', '8-8-1', '16-16-1']],
]

function ladderInputs(kind: Vec3 | 'isotropic' | 'constant_z', from: Mag, coarsest: Mag): { coarsest: Mag; voxelSize: Vec3 | undefined } {
  if (kind === 'isotropic' || kind === 'constant_z') return samplingSetup(kind, from, coarsest, [1, 1, 1])
  return samplingSetup('auto', from, coarsest, kind)
}

for (const [kind, fromName, coarsestName, scheme] of MAG_CASES) {
  const label = typeof kind === 'string' ? kind : `(${kind.join(', ')})`
  test(`test_mag_calculation ${label}: ${fromName} → ${coarsestName}`, (t) => {
    const from = new Mag(fromName)
    const { coarsest, voxelSize } = ladderInputs(kind, from, new Mag(coarsestName))
    t.deepEqual(names([from, ...magsToDownsample(from, coarsest, voxelSize)]), scheme)
    // Upsampling walks the same ladder backwards: from the coarsest mag (exclusive) down to `from`,
    // i.e. the scheme without its last element, reversed.
    t.deepEqual(names(magsToUpsample(coarsest, from, voxelSize)), [...scheme].reverse().slice(1))
  })
}

test('test_invalid_mag_calculation', (t) => {
  const voxelSize: Vec3 = [10.5, 10.5, 24]
  for (const [from, coarsest] of [
    ['2', '16-16-2'],
    ['1', '1-1-2'],
    ['1', '4-4-16'],
  ]) {
    const e = t.throws(() => magsToDownsample(new Mag(from), new Mag(coarsest), voxelSize), undefined, `${from} → ${coarsest}`)
    t.is(code(e), 'ERR_WK_INVALID_ARGUMENT', `${from} → ${coarsest}`)
  }
})

test('test_anisotropic_mag_calculation (with today\'s rule)', (t) => {
  // The reference's get_next_mag cases, with today's anisotropic rule as the contract requires
  // (deliberate difference 1). Where the 2021 reference differed, its value is in the comment.
  const cases: [Vec3, string, string][] = [
    [[10.5, 10.5, 24], '1', '2-2-1'],
    [[10.5, 10.5, 21], '1', '2-2-1'],
    [[10.5, 24, 10.5], '1', '2-1-2'],
    [[24, 10.5, 10.5], '1', '1-2-2'],
    [[10.5, 10.5, 10.5], '1', '2'],
    [[10.5, 10.5, 24], '2-2-1', '4-4-2'], // reference: 4-4-1
    [[10.5, 10.5, 21], '2-2-1', '4-4-2'],
    [[10.5, 24, 10.5], '2-1-2', '4-2-4'], // reference: 4-1-4
    [[24, 10.5, 10.5], '1-2-2', '2-4-4'], // reference: 1-4-4
    [[10.5, 10.5, 10.5], '2', '4'],
    [[320, 320, 200], '1', '1-1-2'],
    [[320, 320, 200], '1-1-2', '2-2-4'],
  ]
  for (const [scale, mag, next] of cases) {
    const ladder = magsToDownsample(new Mag(mag), new Mag(1024), scale)
    t.is(ladder[0].toLayerName(), next, `next of ${mag} with (${scale})`)
    // get_previous_mag: the upsampling ladder from `next` back to `mag` is exactly [mag].
    t.deepEqual(names(magsToUpsample(new Mag(next), new Mag(mag), scale)), [mag], `previous of ${next} with (${scale})`)
  }
})

test('test_default_max_mag', (t) => {
  const cases: [Vec3, number][] = [
    [[65536, 65536, 65536], 1024],
    [[4096, 4096, 4096], 64],
    [[131072, 262144, 262144], 4096],
    [[32768, 32768, 32768], 512],
    [[16384, 65536, 65536], 1024],
    [[16384, 65536, 16384], 1024],
    [[256, 256, 256], 4],
    // §4.2 examples: only x and y count; at least 4.
    [[10, 10, 100000], 4],
    [[400, 400, 1], 4],
    [[401, 1, 1], 8],
    [[6400, 6400, 6400], 64],
  ]
  for (const [size, max] of cases) t.true(defaultMaxMag(size).equals(new Mag(max)), `(${size}) → ${defaultMaxMag(size)} instead of ${max}`)
  t.is(code(t.throws(() => defaultMaxMag([0, 0, 5]))), 'ERR_WK_INVALID_ARGUMENT')
})

test('orderMagList sorts by components and checks neighbours component-wise (§4.3)', (t) => {
  const sorted = orderMagList(['4-4-8', '2', '32-32-8', '32'].map((m) => new Mag(m)))
  t.deepEqual(names(sorted), ['2', '4-4-8', '32-32-8', '32'])
  const e = t.throws(() => orderMagList(['1', '1-1-2', '2-2-1', '2'].map((m) => new Mag(m))))
  t.is(code(e), 'ERR_WK_INVALID_ARGUMENT')
})

// ---------------------------------------------------------------------------------------------
// Mag ladders through a layer

formatTest('auto downsampling with voxel size (11.24, 11.24, 28) makes 2-2-1, 4-4-2, 8-8-4, 16-16-8 (deliberate difference 1)', async (t, format) => {
  // The 2021 reference made 2-2-1, 4-4-1, 8-8-2, 16-16-4 here.
  const data = randomGrid('uint8', [1, 64, 64, 32], 1)
  const { layer, path } = await setupWith(t, data, { format, scale: [11.24, 11.24, 28] })
  await layer.downsample({ maxMag: 16 })
  t.deepEqual(magNames(layer), ['1', '16-16-8', '2-2-1', '4-4-2', '8-8-4'])
  // The chain of medians (the default for a color layer), step by step.
  let expected = data
  let previous = new Mag(1)
  for (const name of ['2-2-1', '4-4-2', '8-8-4', '16-16-8']) {
    const mag = new Mag(name)
    expected = downsampleReference(expected, [mag.x / previous.x, mag.y / previous.y, mag.z / previous.z], 'median', 'uint8')
    await expectMag(t, layer, mag, [0, 0, 0], expected, `mag ${name}`)
    previous = mag
  }
  // Registered in the saved properties as well.
  const reopened = await Dataset.open(path)
  t.deepEqual(magNames(reopened.getLayer('color')), ['1', '16-16-8', '2-2-1', '4-4-2', '8-8-4'])
})

test('test_default_anisotropic_scale', async (t) => {
  // Scale (85, 85, 346), data 10×20×30 at mag 1, maxMag defaults to 4: {1, 2-2-1, 4-4-1} (the same
  // as the reference here).
  const { layer } = await setupWith(t, randomGrid('uint8', [1, 10, 20, 30], 2), { scale: [85, 85, 346] })
  await layer.downsample({ fromMag: new Mag(1), interpolationMode: 'median', compress: true })
  t.deepEqual(magNames(layer), ['1', '2-2-1', '4-4-1'])
})

test('test_default_parameter', async (t) => {
  // Scale (1,1,1), 3-channel uint8 data 10×20×30 in mag 2 (box 20×40×60 at mag 1): downsample()
  // without arguments starts at mag 2 and stops at the default maxMag 4.
  const { layer } = await setupWith(t, randomGrid('uint8', [3, 10, 20, 30], 3), { mag: 2 })
  await layer.downsample()
  t.deepEqual(magNames(layer), ['2', '4'])
})

test('downsample() starts at the mag with the largest maxDim by default', async (t) => {
  // Mags 1 and 2-2-1 hold unrelated data: mag 4-4-2 must be made from 2-2-1 (the coarsest).
  const { layer } = await setupWith(t, randomGrid('uint8', [1, 64, 64, 32], 4), { scale: [1, 1, 2] })
  const coarse = randomGrid('uint8', [1, 32, 32, 32], 5)
  const m221 = await layer.addMag('2-2-1', { blockLen: 8, fileLen: 4 })
  await m221.write(coarse)
  await layer.downsample({ maxMag: 4 })
  t.deepEqual(magNames(layer), ['1', '2-2-1', '4-4-2'])
  await expectMag(t, layer, '4-4-2', [0, 0, 0], downsampleReference(coarse, [2, 2, 2], 'median', 'uint8'), 'mag 4-4-2 from 2-2-1')
})

test('default fromMag: on a tie of maxDim the last mag in properties order (§4.1)', async (t) => {
  // Mags 2 then 2-2-1 (both maxDim 2): downsample() starts at 2-2-1 and makes 4-4-2 (isotropic,
  // max 4); from 2 it would have made 4.
  const { layer } = await setupWith(t, randomGrid('uint8', [1, 16, 16, 16], 32), { mag: 2 })
  await (await layer.addMag('2-2-1', { blockLen: 8, fileLen: 4 })).write(randomGrid('uint8', [1, 16, 16, 32], 33))
  t.deepEqual([...layer.mags.keys()], ['2', '2-2-1'])
  await layer.downsample({ maxMag: 4, samplingMode: 'isotropic' })
  t.deepEqual(magNames(layer), ['2', '2-2-1', '4-4-2'])
})

test('interpolationMode is case-insensitive, as parse_interpolation_mode (§1.9)', async (t) => {
  const data = randomGrid('uint8', [1, 16, 16, 16], 34)
  const { layer } = await setupWith(t, data)
  await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'MAX' as never })
  await expectMag(t, layer, 2, [0, 0, 0], downsampleReference(data, [2, 2, 2], 'max', 'uint8'), 'MAX')
  await layer.downsampleMag({ fromMag: 2, targetMag: 4, interpolationMode: 'Default' as never })
  t.deepEqual(magNames(layer), ['1', '2', '4'])
})

test('isotropic and constant_z sampling modes through a layer (§4.2 worked examples)', async (t) => {
  const data = randomGrid('uint8', [1, 64, 64, 16], 6)
  {
    const { layer } = await setupWith(t, data, { scale: [11.24, 11.24, 28] })
    await layer.downsample({ maxMag: 8, samplingMode: 'isotropic', interpolationMode: 'max' })
    t.deepEqual(magNames(layer), ['1', '2', '4', '8'])
    await expectMag(t, layer, 8, [0, 0, 0], downsampleReference(data, [8, 8, 8], 'max', 'uint8'), 'isotropic mag 8')
  }
  {
    // constant_z from 1 with max 16: 2-2-1, 4-4-1, 8-8-1, 16-16-1.
    const { layer } = await setupWith(t, data, { scale: [11.24, 11.24, 28] })
    await layer.downsample({ maxMag: 16, samplingMode: 'constant_z', interpolationMode: 'min' })
    t.deepEqual(magNames(layer), ['1', '16-16-1', '2-2-1', '4-4-1', '8-8-1'])
    await expectMag(t, layer, '16-16-1', [0, 0, 0], downsampleReference(data, [16, 16, 1], 'min', 'uint8'), 'constant_z mag 16-16-1')
  }
  {
    // constant_z from 4-4-2 with max 16: 8-8-2 and 16-16-2.
    const { layer } = await setupWith(t, randomGrid('uint8', [1, 16, 16, 8], 7), { mag: '4-4-2' })
    await layer.downsample({ fromMag: '4-4-2', maxMag: 16, samplingMode: 'constant_z' })
    t.deepEqual(magNames(layer), ['16-16-2', '4-4-2', '8-8-2'])
  }
})

test('test_downsample_mag_list', async (t) => {
  // Scale (1,1,2), data 10×20×30 at mag 1, targets given unsorted: all are created, each from the
  // one before it in sorted order (factors (2,2,2), (2,2,4), (8,8,1), (1,1,4)).
  const data = randomGrid('uint8', [1, 10, 20, 30], 8)
  const { layer } = await setupWith(t, data, { scale: [1, 1, 2] })
  await layer.downsampleMagList({ fromMag: 1, targetMags: ['4-4-8', 2, '32-32-8', '32'], interpolationMode: 'max' })
  t.deepEqual(magNames(layer), ['1', '2', '32', '32-32-8', '4-4-8'])
  // max is associative: each mag is the max over its mag-1 block (zeros outside the data).
  const full = placed(data, [0, 0, 0], [32, 32, 32], 'uint8')
  await expectMag(t, layer, 2, [0, 0, 0], downsampleReference(full, [2, 2, 2], 'max', 'uint8'), 'mag 2')
  await expectMag(t, layer, '4-4-8', [0, 0, 0], downsampleReference(full, [4, 4, 8], 'max', 'uint8'), 'mag 4-4-8')
  await expectMag(t, layer, '32', [0, 0, 0], downsampleReference(full, [32, 32, 32], 'max', 'uint8'), 'mag 32')
})

test('test_downsample_with_invalid_mag_list', async (t) => {
  const { layer, path } = await setupWith(t, randomGrid('uint8', [1, 10, 20, 30], 9), { scale: [1, 1, 2] })
  const before = dirs(join(path, 'color'))
  const e = await t.throwsAsync(layer.downsampleMagList({ fromMag: 1, targetMags: [1, '1-1-2', '2-2-1', 2] }))
  t.is(code(e), 'ERR_WK_INVALID_ARGUMENT')
  t.deepEqual(dirs(join(path, 'color')), before, 'no mag directory was created')
  t.deepEqual(magNames(layer), ['1'])
})

formatTest('test_downsample_compressed (compressed source mag)', async (t, format) => {
  // Scale (1,1,2), mag 1 with block 8 and file 8 holding 80×240×15, compressed first; downsample
  // from 1 to 4 makes exactly {1, 2-2-1, 4-4-2}.
  const data = randomGrid('uint8', [1, 80, 240, 15], 10)
  const { layer } = await setupWith(t, data, { format, scale: [1, 1, 2], fileLen: 8 })
  await layer.getMag(1).compress()
  t.not(layer.getMag(1).info.compression, 'none')
  await layer.downsample({ fromMag: 1, maxMag: 4 })
  t.deepEqual(magNames(layer), ['1', '2-2-1', '4-4-2'])
  const full = placed(data, [0, 0, 0], [80, 240, 16], 'uint8')
  const m221 = downsampleReference(full, [2, 2, 1], 'median', 'uint8')
  await expectMag(t, layer, '2-2-1', [0, 0, 0], m221, 'mag 2-2-1')
  await expectMag(t, layer, '4-4-2', [0, 0, 0], downsampleReference(m221, [2, 2, 2], 'median', 'uint8'), 'mag 4-4-2')
})

// ---------------------------------------------------------------------------------------------
// Non-linear modes: median, mode, max, min

test('test_downsample_cube (mode 2-2-2 of z through a layer)', async (t) => {
  // The reference's 256³ arange-along-z buffer, shrunk to 64×64×128 holding z: every z-line of the
  // mode-downsampled mag 2 is [0, 2, 4, …, 126] (each 2×2×2 block holds z and z+1 four times each;
  // the tie goes to the smaller value).
  const data = gridOf('uint8', [1, 64, 64, 128], (_c, _x, _y, z) => z)
  const { layer } = await setupWith(t, data, { fileLen: 8 })
  await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'mode' })
  const read = await layer.getMag(2).read({ size: [32, 32, 64] })
  t.deepEqual(read.shape, [1, 32, 32, 64])
  let bad = 0
  for (let z = 0; z < 64; z++) for (let i = 0; i < 32 * 32; i++) if (read.data[z * 32 * 32 + i] !== 2 * z) bad++
  t.is(bad, 0, 'every z-line is [0, 2, 4, …, 126]')
})

test('test_downsample_mode / test_non_linear_filter_reshape (§4.5 vectors through a layer)', async (t) => {
  {
    // Windows of 4 along z (mag 1-1-4); ties go to the smallest value.
    const windows = [
      [1, 1, 2, 2],
      [2, 2, 1, 1],
      [1, 5, 3, 3],
      [3, 2, 3, 2],
      [7, 1, 1, 7],
      [5, 5, 5, 0],
      [0, 0, 9, 9],
      [4, 2, 2, 1],
      [255, 254, 254, 255],
    ]
    const modes = [1, 1, 3, 2, 1, 5, 0, 2, 254]
    const { layer } = await setupWith(t, gridOf('uint8', [1, windows.length, 1, 4], (_c, x, _y, z) => windows[x][z]))
    await layer.downsampleMag({ fromMag: 1, targetMag: '1-1-4', interpolationMode: 'mode' })
    t.deepEqual(await xLine(layer, '1-1-4', windows.length), modes)
  }
  {
    // [[[1,3],[1,4]],[[4,2],[3,1]]] (numpy x, y, z) uint8 with factors 2-2-2 → 1.
    const block = [
      [
        [1, 3],
        [1, 4],
      ],
      [
        [4, 2],
        [3, 1],
      ],
    ]
    const { layer } = await setupWith(t, gridOf('uint8', [1, 2, 2, 2], (_c, x, y, z) => block[x][y][z]))
    await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'mode' })
    const read = await layer.getMag(2).read({ size: [1, 1, 1] })
    t.is(read.dtype, 'uint8')
    t.deepEqual([...read.data], [1])
  }
  {
    // [[[1,3],[1,4]],[[4,3],[3,1]]] uint32 with factors 2-2-1 → [1, 3] along z.
    const block = [
      [
        [1, 3],
        [1, 4],
      ],
      [
        [4, 3],
        [3, 1],
      ],
    ]
    const { layer } = await setupWith(t, gridOf('uint32', [1, 2, 2, 2], (_c, x, y, z) => block[x][y][z]), { dtype: 'uint32' })
    await layer.downsampleMag({ fromMag: 1, targetMag: '2-2-1', interpolationMode: 'mode' })
    const read = await layer.getMag('2-2-1').read({ size: [1, 1, 2] })
    t.is(read.dtype, 'uint32')
    t.deepEqual([...read.data], [1, 3])
  }
})

test('median of an even count averages the two middle values and truncates (§4.5 vectors)', async (t) => {
  // Pairs along x (mag 2-1-1): uint8 {0,255} → 127, int8 {-3,0} → -1, float32 {0,1} → 0.5.
  const cases: [DType, number[], number[]][] = [
    ['uint8', [0, 255, 255, 0, 1, 2, 200, 201], [127, 127, 1, 200]],
    ['int8', [-3, 0, 0, -3, -128, 127, 5, -6], [-1, -1, 0, 0]],
    ['float32', [0, 1, 1, 0, -2, 0.5, 3, 3], [0.5, 0.5, -0.75, 3]],
  ]
  for (const [dtype, values, medians] of cases) {
    const { layer } = await setupWith(t, ramp(dtype, values, [1, 1]), { dtype })
    await layer.downsampleMag({ fromMag: 1, targetMag: '2-1-1', interpolationMode: 'median' })
    t.deepEqual(await xLine(layer, '2-1-1', medians.length), medians, dtype)
  }
  // {1,1,2,2} → 1 (uint8), as windows of 4 along z (mag 1-1-4).
  const { layer } = await setupWith(t, gridOf('uint8', [1, 2, 1, 4], (_c, x, _y, z) => [[1, 1, 2, 2], [2, 1, 2, 1]][x][z]))
  await layer.downsampleMag({ fromMag: 1, targetMag: '1-1-4', interpolationMode: 'median' })
  t.deepEqual(await xLine(layer, '1-1-4', 2), [1, 1])
})

test('the §4.4 border example: median of value 10 at (1,1,1)/(3,3,3) to mag 2', async (t) => {
  const { layer } = await setupWith(t, gridOf('uint8', [1, 3, 3, 3], () => 10), { offset: [1, 1, 1] })
  t.true(layer.boundingBox.equals(new BoundingBox([1, 1, 1], [3, 3, 3])))
  await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'median' })
  // numpy [[[0,0],[0,5]],[[0,5],[5,10]]] in (x, y, z) indexing.
  const expected = [
    [
      [0, 0],
      [0, 5],
    ],
    [
      [0, 5],
      [5, 10],
    ],
  ]
  await expectMag(t, layer, 2, [0, 0, 0], gridOf('uint8', [1, 2, 2, 2], (_c, x, y, z) => expected[x][y][z]), 'mag 2 (0,0,0)/(2,2,2)')
  t.true(layer.boundingBox.equals(new BoundingBox([1, 1, 1], [3, 3, 3])), 'the layer bounding box does not change')
})

formatTest('data on disk outside the bounding box takes part in the filter (§4.4)', async (t, format) => {
  // 4×4×4 of 10 written, then the box shrunk to (0,0,0)/(3,3,3): the region grown to mag 2 is
  // (0,0,0)/(4,4,4), and the voxels at x, y or z = 3 are read from disk (10), not taken as 0.
  const { layer } = await setupWith(t, gridOf('uint8', [1, 4, 4, 4], () => 10), { format })
  await layer.setBoundingBox(new BoundingBox([0, 0, 0], [3, 3, 3]))
  await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'min' })
  await expectMag(t, layer, 2, [0, 0, 0], gridOf('uint8', [1, 2, 2, 2], () => 10), 'mag 2')
  t.true(layer.boundingBox.equals(new BoundingBox([0, 0, 0], [3, 3, 3])))
})

// Every dtype class × every non-linear mode, with factors 2-2-2, against the reference reducers.
const PALETTES: Record<string, (number | bigint)[]> = {
  uint8: [0, 7, 200, 255],
  int16: [-32768, -2, 0, 32767],
  float32: [-1.5, 0, 0.25, 1e30],
  uint64: [0n, 5n, 2n ** 63n, 2n ** 64n - 1n],
  int64: [-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n],
}

/** Data whose reductions are well defined and discriminating for `how`. */
function dataFor(dtype: DType, how: Reducer, shape: Grid['shape'], seed: number): Grid {
  if (how === 'max' || how === 'min') return randomGrid(dtype, shape, seed)
  const raw = randomArray('uint32', volume(shape), seed) as Uint32Array
  if (how === 'mode') {
    // Few distinct values (some extreme): frequent ties, which go to the smallest value.
    const palette = PALETTES[dtype]
    return gridFromIndex(dtype, shape, (i) => palette[raw[i] % palette.length])
  }
  // Median: values whose two-value means are exact in float64 (for 64-bit integers numpy's float64
  // mean would lose precision above 2^53, which the contract does not pin down).
  switch (dtype) {
    case 'float32':
      return gridFromIndex(dtype, shape, (i) => Math.fround((raw[i] / 2 ** 32 - 0.5) * 1000))
    case 'uint64':
      return gridFromIndex(dtype, shape, (i) => BigInt(raw[i]) * 1000n)
    case 'int64':
      return gridFromIndex(dtype, shape, (i) => BigInt(raw[i] - 2 ** 31) * 1000n)
    default:
      return randomGrid(dtype, shape, seed)
  }
}

const DTYPE_CLASSES: DType[] = ['uint8', 'int16', 'float32', 'uint64', 'int64']
const REDUCERS: Reducer[] = ['median', 'mode', 'max', 'min']
DTYPE_CLASSES.forEach((dtype, i) => {
  REDUCERS.forEach((how, j) => {
    test(`${how} 2-2-2 of ${dtype} data equals the reference reducer`, async (t) => {
      const data = dataFor(dtype, how, [1, 64, 32, 32], 100 + 10 * i + j)
      const { layer } = await setupWith(t, data, { dtype })
      await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: how })
      await expectMag(t, layer, 2, [0, 0, 0], downsampleReference(data, [2, 2, 2], how, dtype), `${how} of ${dtype}`)
    })
  })
})

for (const factors of ['2-2-1', '1-1-2', '4-4-2', '8-1-1']) {
  formatTest(`anisotropic non-linear modes: every reducer with mag ${factors}`, async (t, format) => {
    const mag = new Mag(factors)
    for (const how of REDUCERS) {
      const data = dataFor('int16', how, [1, 32, 32, 32], 200 + REDUCERS.indexOf(how))
      const { layer } = await setupWith(t, data, { format, dtype: 'int16' })
      await layer.downsampleMag({ fromMag: 1, targetMag: mag, interpolationMode: how })
      await expectMag(t, layer, mag, [0, 0, 0], downsampleReference(data, [mag.x, mag.y, mag.z], how, 'int16'), `${how} ${factors}`)
    }
  })
}

test("'default' is median for a color layer", async (t) => {
  const data = randomGrid('uint8', [1, 32, 32, 32], 11)
  const { layer } = await setupWith(t, data)
  await layer.downsampleMag({ fromMag: 1, targetMag: 2 })
  await expectMag(t, layer, 2, [0, 0, 0], downsampleReference(data, [2, 2, 2], 'median', 'uint8'), 'default = median')
})

test("'default' is mode for a segmentation layer", async (t) => {
  const palette = [0, 1, 2, 70000]
  const raw = randomArray('uint32', 32 * 32 * 32, 12) as Uint32Array
  const data = gridFromIndex('uint32', [1, 32, 32, 32], (i) => palette[raw[i] % 4])
  const { layer } = await setupWith(t, data, { dtype: 'uint32', segmentation: true })
  t.is(layer.category, 'segmentation')
  await layer.downsample({ maxMag: 2 })
  t.deepEqual(magNames(layer), ['1', '2'])
  const mode = downsampleReference(data, [2, 2, 2], 'mode', 'uint32')
  t.truthy(firstDifference(mode, downsampleReference(data, [2, 2, 2], 'median', 'uint32')), 'the data tells mode and median apart')
  await expectMag(t, layer, 2, [0, 0, 0], mode, 'default = mode')
})

formatTest('test_downsample_multi_channel: channels do not mix', async (t, format) => {
  // 3 uint8 channels with different distributions: random, random mod 3, and a constant.
  const raw = randomArray('uint8', 3 * 32 * 32 * 10, 13) as Uint8Array
  const data = gridFromIndex('uint8', [3, 32, 32, 10], (i) => (i % 3 === 0 ? raw[i] : i % 3 === 1 ? raw[i] % 3 : 100))
  for (const how of REDUCERS) {
    const { layer } = await setupWith(t, data, { format, fileLen: 8 })
    t.is(layer.numChannels, 3)
    await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: how })
    const read = await layer.getMag(2).read({ size: [16, 16, 5] })
    t.deepEqual(read.shape, [3, 16, 16, 5])
    t.is(firstDifference(read, downsampleReference(data, [2, 2, 2], how, 'uint8')), undefined, how)
  }
})

formatTest('a layer whose bounding box does not start at 0', async (t, format) => {
  // 37×21×19 at (10,20,30): the region is the box grown to each target mag; voxels outside the box
  // (never written, so zero) take part in the filter.
  const data = randomGrid('uint8', [1, 37, 21, 19], 14)
  const { layer, path } = await setupWith(t, data, { format, offset: [10, 20, 30] })
  const box = new BoundingBox([10, 20, 30], [37, 21, 19])
  t.true(layer.boundingBox.equals(box))
  await layer.downsample({ maxMag: 4, samplingMode: 'isotropic' })
  t.deepEqual(magNames(layer), ['1', '2', '4'])
  const full = placed(data, [10, 20, 30], [64, 64, 64], 'uint8')
  const m2 = downsampleReference(full, [2, 2, 2], 'median', 'uint8')
  await expectMag(t, layer, 2, [0, 0, 0], m2, 'mag 2 (nothing written outside the grown box)')
  await expectMag(t, layer, 4, [0, 0, 0], downsampleReference(m2, [2, 2, 2], 'median', 'uint8'), 'mag 4')
  t.true(layer.boundingBox.equals(box), 'the layer bounding box does not change')
  t.deepEqual(readJson(path).dataLayers[0].boundingBox, { topLeft: [10, 20, 30], width: 37, height: 21, depth: 19 })
})

// ---------------------------------------------------------------------------------------------
// Linear modes: nearest, bilinear, bicubic (scipy.ndimage.zoom, order 0/1/2, per tile)

test('ramp 0,10,…,70 along x: nearest, bilinear, bicubic with mag 2 and mag 2-1-1', async (t) => {
  // Reference: factor 2 → nearest [0,20,50,70], bilinear [0,23,47,70]; bicubic (order 2) gives
  // [0,23,47,70] as well (scipy: 0, 23.31, 46.69, 70).
  const values = [0, 10, 20, 30, 40, 50, 60, 70]
  const expected: Record<string, number[]> = { nearest: [0, 20, 50, 70], bilinear: [0, 23, 47, 70], bicubic: [0, 23, 47, 70] }
  for (const mode of ['nearest', 'bilinear', 'bicubic'] as const) {
    {
      const { layer } = await setupWith(t, ramp('uint8', values))
      await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: mode })
      t.deepEqual(await xLine(layer, 2, 4), expected[mode], `${mode} mag 2`)
    }
    {
      // Per-axis factors (deliberate difference 2): y and z keep their 2 voxels. The 2021
      // reference used the x factor on all axes and left y = 1 and z = 1 zero.
      const { layer } = await setupWith(t, ramp('uint8', values))
      await layer.downsampleMag({ fromMag: 1, targetMag: '2-1-1', interpolationMode: mode })
      for (const [y, z] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        t.deepEqual(await xLine(layer, '2-1-1', 4, y, z), expected[mode], `${mode} mag 2-1-1 row y=${y} z=${z}`)
      }
    }
  }
})

test('linear modes: hand vectors for uint8, int16 (rounding, negatives), clamping and float32', async (t) => {
  // [input x-line, dtype, nearest, bilinear, bicubic], from scipy.ndimage.zoom(…, 0.5, order, mode="nearest", output=dtype).
  const cases: [number[], DType, number[], number[], number[]][] = [
    [[10, 200, 30, 250, 0, 90, 180, 40], 'uint8', [10, 30, 90, 40], [10, 103, 60, 40], [10, 85, 38, 40]],
    [[-5, -3, 0, 7, -100, 3, 2, 1], 'int16', [-5, 0, 3, 1], [-5, 2, -31, 1], [-5, 8, -32, 1]],
    // Order-2 overshoot: -12.3 and 262.3 are clamped to 0 and 255 in uint8, kept in int16.
    [[0, 0, 0, 0, 250, 250, 250, 250], 'uint8', [0, 0, 250, 250], [0, 0, 250, 250], [0, 0, 255, 250]],
    [[0, 0, 0, 0, 250, 250, 250, 250], 'int16', [0, 0, 250, 250], [0, 0, 250, 250], [0, -12, 262, 250]],
  ]
  for (const [values, dtype, ...results] of cases) {
    for (const [k, mode] of (['nearest', 'bilinear', 'bicubic'] as const).entries()) {
      const { layer } = await setupWith(t, ramp(dtype, values), { dtype })
      await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: mode })
      t.deepEqual(await xLine(layer, 2, 4), results[k], `${mode} of ${dtype} [${values}]`)
    }
  }
  // float32 outputs are not rounded: bilinear [10, 103.333336, 60, 40]; bicubic of the step
  // [0, -12.323634, 262.32364, 250].
  const float: [number[], 'bilinear' | 'bicubic', number[]][] = [
    [[10, 200, 30, 250, 0, 90, 180, 40], 'bilinear', [10, 103.333336, 60, 40]],
    [[0, 0, 0, 0, 250, 250, 250, 250], 'bicubic', [0, -12.323634, 262.32364, 250]],
  ]
  for (const [values, mode, result] of float) {
    const { layer } = await setupWith(t, ramp('float32', values), { dtype: 'float32' })
    await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: mode })
    const line = (await xLine(layer, 2, 4)) as number[]
    for (let i = 0; i < 4; i++) t.true(Math.abs(line[i] - result[i]) < 1e-3, `float32 ${mode}: ${line} instead of ${result}`)
  }
})

test('linear modes for 64-bit integers (BigInt arrays)', async (t) => {
  for (const dtype of ['uint64', 'int64'] as const) {
    for (const [mode, result] of [
      ['nearest', [0n, 20n, 50n, 70n]],
      ['bilinear', [0n, 23n, 47n, 70n]],
    ] as const) {
      const { layer } = await setupWith(t, ramp(dtype, [0n, 10n, 20n, 30n, 40n, 50n, 60n, 70n]), { dtype })
      await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: mode })
      t.deepEqual(await xLine(layer, 2, 4), [...result], `${mode} of ${dtype}`)
    }
  }
})

test('linear modes with anisotropic mags 2-2-1 and 1-1-2 use per-axis factors (deliberate difference 2)', async (t) => {
  // Separable data: 10·x + z (2-2-1) and x + 10·z (1-1-2). The factor-1 axis is kept exactly;
  // along the halved axis the ramp gives [0,20,50,70] (nearest) or [0,23,47,70] (bilinear,
  // bicubic). scipy.ndimage.zoom with zooms (0.5, 0.5, 1) and (1, 1, 0.5) agrees. The 2021
  // reference halved all three axes and left the rest of the tile zero.
  const along: Record<string, number[]> = { nearest: [0, 20, 50, 70], bilinear: [0, 23, 47, 70], bicubic: [0, 23, 47, 70] }
  for (const mode of ['nearest', 'bilinear', 'bicubic'] as const) {
    {
      const { layer } = await setupWith(t, gridOf('uint8', [1, 8, 2, 4], (_c, x, _y, z) => 10 * x + z))
      await layer.downsampleMag({ fromMag: 1, targetMag: '2-2-1', interpolationMode: mode })
      await expectMag(t, layer, '2-2-1', [0, 0, 0], gridOf('uint8', [1, 4, 1, 4], (_c, x, _y, z) => along[mode][x] + z), `${mode} 2-2-1`)
    }
    {
      const { layer } = await setupWith(t, gridOf('uint8', [1, 4, 2, 8], (_c, x, _y, z) => x + 10 * z))
      await layer.downsampleMag({ fromMag: 1, targetMag: '1-1-2', interpolationMode: mode })
      await expectMag(t, layer, '1-1-2', [0, 0, 0], gridOf('uint8', [1, 4, 2, 4], (_c, x, _y, z) => x + along[mode][z]), `${mode} 1-1-2`)
    }
  }
})

formatTest('linear modes resample each tile of bufferEdgeLen target voxels on its own', async (t, format) => {
  // Ramp 0,10,…,150 (16 voxels) to mag 2. Whole (default buffer): zoom 16 → 8. With
  // bufferEdgeLen 4: two tiles of 8 → 4, as the reference does.
  const values = Array.from({ length: 16 }, (_, i) => 10 * i)
  const cases: ['nearest' | 'bilinear', number | undefined, number[]][] = [
    ['nearest', undefined, [0, 20, 40, 60, 90, 110, 130, 150]],
    ['nearest', 4, [0, 20, 50, 70, 80, 100, 130, 150]],
    ['bilinear', undefined, [0, 21, 43, 64, 86, 107, 129, 150]],
    ['bilinear', 4, [0, 23, 47, 70, 80, 103, 127, 150]],
  ]
  for (const [mode, bufferEdgeLen, result] of cases) {
    const { layer } = await setupWith(t, ramp('uint8', values), { format })
    await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: mode, bufferEdgeLen })
    t.deepEqual(await xLine(layer, 2, 8), result, `${mode} bufferEdgeLen ${bufferEdgeLen ?? 'default'}`)
  }
  // Block reducers do not depend on the tiling, also with a tile edge that divides nothing.
  const data = randomGrid('uint8', [1, 40, 24, 16], 39)
  const { layer } = await setupWith(t, data, { format })
  await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'median', bufferEdgeLen: 3 })
  await expectMag(t, layer, 2, [0, 0, 0], downsampleReference(data, [2, 2, 2], 'median', 'uint8'), 'median with bufferEdgeLen 3')
})

test('linear modes keep constants (bicubic of a constant is the constant) and keep channels apart', async (t) => {
  {
    const data = gridOf('uint8', [1, 16, 16, 16], () => 123)
    const { layer } = await setupWith(t, data)
    await layer.downsampleMag({ fromMag: 1, targetMag: 2, interpolationMode: 'bicubic' })
    await expectMag(t, layer, 2, [0, 0, 0], gridOf('uint8', [1, 8, 8, 8], () => 123), 'bicubic of 123')
  }
  // Three channels: 10·x + 80·c along x; each channel keeps its own ramp.
  for (const [mode, along] of [
    ['nearest', [0, 20, 50, 70]],
    ['bilinear', [0, 23, 47, 70]],
  ] as const) {
    const data = gridOf('uint8', [3, 8, 2, 2], (c, x) => 10 * x + 80 * c)
    const { layer } = await setupWith(t, data)
    await layer.downsampleMag({ fromMag: 1, targetMag: '2-1-1', interpolationMode: mode })
    await expectMag(t, layer, '2-1-1', [0, 0, 0], gridOf('uint8', [3, 4, 2, 2], (c, x) => along[x] + 80 * c), `${mode} multi-channel`)
  }
})

// ---------------------------------------------------------------------------------------------
// Upsampling

test('test_upsample_cube (z values repeated twice through a layer)', async (t) => {
  // Mag 2 holding z (32³); upsampling to 1 repeats each value twice along every axis.
  const data = gridOf('uint8', [1, 32, 32, 32], (_c, _x, _y, z) => z)
  const { layer } = await setupWith(t, data, { mag: 2 })
  await layer.upsample({ fromMag: 2, compress: false, samplingMode: 'isotropic' })
  t.deepEqual(magNames(layer), ['1', '2'])
  const read = await layer.getMag(1).read({ size: [64, 64, 64] })
  t.deepEqual([...read.data.subarray(0, 1)], [0])
  t.deepEqual(
    [0, 1, 2, 3].map((z) => read.data[z * 64 * 64]),
    [0, 0, 1, 1],
  )
  let bad = 0
  for (let z = 0; z < 64; z++) for (let i = 0; i < 64 * 64; i++) if (read.data[z * 64 * 64 + i] !== Math.floor(z / 2)) bad++
  t.is(bad, 0, 'every z-line is repeat(arange(32), 2)')
})

formatTest('test_upsampling (mag 4-4-2 at an offset, to 1; the ladder walked backwards)', async (t, format) => {
  // Scale (1,1,1), random 46×45×27 at (10,20,40) in mag 4-4-2 (box (40,80,80)/(184,180,54)),
  // upsample to 1 with bufferEdgeLen 64. Our ladder is today's downsampling ladder backwards:
  // 4-4-2 → 2 → 1 (the 2021 reference made 2-2-1, then 1).
  const data = randomGrid('uint8', [1, 46, 45, 27], 15)
  const { layer } = await setupWith(t, data, { format, mag: '4-4-2', fileLen: 8, offset: [10, 20, 40] })
  t.true(layer.boundingBox.equals(new BoundingBox([40, 80, 80], [184, 180, 54])))
  await layer.upsample({ fromMag: '4-4-2', minMag: 1, compress: false, samplingMode: 'auto', bufferEdgeLen: 64 })
  t.deepEqual(magNames(layer), ['1', '2', '4-4-2'])
  const m2 = upsampleReference(data, [2, 2, 1], 'uint8')
  await expectMag(t, layer, 2, [20, 40, 40], m2, 'mag 2')
  await expectMag(t, layer, 1, [40, 80, 80], upsampleReference(m2, [2, 2, 2], 'uint8'), 'mag 1')
  // Nothing is written outside the box.
  const around = await layer.getMag(1).read({ offset: [32, 72, 72], size: [8, 8, 8] })
  t.true([...around.data].every((v) => v === 0))
  t.true(layer.boundingBox.equals(new BoundingBox([40, 80, 80], [184, 180, 54])))
  t.is(layer.getMag(1).info.compression, 'none')
})

test('upsampling mag 4 holding 1..8 gives the x-line 1,1,1,1,5,5,5,5 at mag 1 (§4.7)', async (t) => {
  const { layer } = await setupWith(t, gridOf('uint8', [1, 2, 2, 2], (_c, x, y, z) => 1 + 4 * x + 2 * y + z), { mag: 4 })
  await layer.upsample({ fromMag: 4, compress: true, samplingMode: 'isotropic' })
  t.deepEqual(magNames(layer), ['1', '2', '4'])
  t.deepEqual(await xLine(layer, 1, 8), [1, 1, 1, 1, 5, 5, 5, 5])
  t.deepEqual(await xLine(layer, 1, 8, 7, 7), [4, 4, 4, 4, 8, 8, 8, 8])
  t.is(layer.getMag(2).header.blockType, 'lz4hc')
})

test('test_upsample_multi_channel', async (t) => {
  const data = randomGrid('uint8', [3, 32, 32, 10], 16)
  const { layer } = await setupWith(t, data, { mag: 2, fileLen: 8 })
  await layer.upsample({ fromMag: 2, minMag: 1, compress: false })
  await expectMag(t, layer, 1, [0, 0, 0], upsampleReference(data, [2, 2, 2], 'uint8'), 'mag 1 (3 channels)')
})

test('upsample with auto and voxel size (11.24, 11.24, 28) walks 16-16-8 → 8-8-4 → 4-4-2 → 2-2-1 → 1', async (t) => {
  const data = randomGrid('int16', [1, 4, 4, 4], 17)
  const { layer } = await setupWith(t, data, { mag: '16-16-8', dtype: 'int16', scale: [11.24, 11.24, 28] })
  await layer.upsample({ fromMag: '16-16-8', compress: false })
  t.deepEqual(magNames(layer), ['1', '16-16-8', '2-2-1', '4-4-2', '8-8-4'])
  await expectMag(t, layer, '4-4-2', [0, 0, 0], upsampleReference(data, [4, 4, 4], 'int16'), 'mag 4-4-2')
  await expectMag(t, layer, 1, [0, 0, 0], upsampleReference(data, [16, 16, 8], 'int16'), 'mag 1')
})

test('upsample with constant_z keeps the z of fromMag', async (t) => {
  {
    const data = randomGrid('uint8', [1, 8, 8, 8], 18)
    const { layer } = await setupWith(t, data, { mag: '4-4-1' })
    await layer.upsample({ fromMag: '4-4-1', compress: false, samplingMode: 'constant_z' })
    t.deepEqual(magNames(layer), ['1', '2-2-1', '4-4-1'])
    await expectMag(t, layer, 1, [0, 0, 0], upsampleReference(data, [4, 4, 1], 'uint8'), 'mag 1')
  }
  {
    const data = randomGrid('uint8', [1, 8, 8, 8], 19)
    const { layer } = await setupWith(t, data, { mag: '4-4-2' })
    await layer.upsample({ fromMag: '4-4-2', compress: false, samplingMode: 'constant_z' })
    t.deepEqual(magNames(layer), ['1-1-2', '2', '4-4-2'])
    await expectMag(t, layer, '1-1-2', [0, 0, 0], upsampleReference(data, [4, 4, 1], 'uint8'), 'mag 1-1-2')
  }
})

test('upsample stops at minMag', async (t) => {
  const data = randomGrid('uint8', [1, 4, 4, 4], 35)
  const { layer } = await setupWith(t, data, { mag: 8 })
  await layer.upsample({ fromMag: 8, minMag: 2, compress: false })
  t.deepEqual(magNames(layer), ['2', '4', '8'])
  await expectMag(t, layer, 2, [0, 0, 0], upsampleReference(data, [4, 4, 4], 'uint8'), 'mag 2')
})

test('upsampling across a ladder step of factor 4 replicates every voxel 4 times', async (t) => {
  // Voxel size (10.5, 10.5, 24) from mag 16: the ladder backwards is 8-8-4, 4-4-2, 2-2-1, 1, so the
  // first step has factors (2, 2, 4). The reference's upsample_cube filled only the first and the
  // last phase for factors ≥ 3; it never used them. Replication is the contract ("nearest").
  const data = randomGrid('uint8', [1, 2, 2, 2], 36)
  const { layer } = await setupWith(t, data, { mag: 16, scale: [10.5, 10.5, 24] })
  await layer.upsample({ fromMag: 16, compress: false })
  t.deepEqual(magNames(layer), ['1', '16', '2-2-1', '4-4-2', '8-8-4'])
  await expectMag(t, layer, '8-8-4', [0, 0, 0], upsampleReference(data, [2, 2, 4], 'uint8'), 'mag 8-8-4')
  await expectMag(t, layer, 1, [0, 0, 0], upsampleReference(data, [16, 16, 16], 'uint8'), 'mag 1')
})

// From a mag to itself there is nothing to do, as the reference's loop does not run.
test('magsToUpsample from a mag to itself is empty (the reversed scheme [m] without its last element)', (t) => {
  t.deepEqual(names(magsToUpsample(new Mag(1), new Mag(1), [1, 1, 1])), [])
  t.deepEqual(names(magsToUpsample(new Mag(2), new Mag(2), undefined)), [])
})

test('upsample with fromMag equal to minMag does nothing (reference: no-op)', async (t) => {
  const { layer, path } = await setupWith(t, randomGrid('uint8', [1, 8, 8, 8], 37))
  await t.notThrowsAsync(layer.upsample({ fromMag: 1, compress: false }))
  const two = await setupWith(t, randomGrid('uint8', [1, 8, 8, 8], 38), { mag: 2 })
  await t.notThrowsAsync(two.layer.upsample({ fromMag: 2, minMag: 2, compress: false }))
  t.deepEqual(magNames(layer), ['1'])
  t.deepEqual(dirs(join(path, 'color')), ['1'])
})

test('upsampling of 64-bit and float data replicates exactly', async (t) => {
  for (const dtype of ['uint64', 'int64', 'float32'] as const) {
    const data = randomGrid(dtype, [1, 8, 8, 8], 20)
    const { layer } = await setupWith(t, data, { mag: 2, dtype })
    await layer.upsample({ fromMag: 2, compress: true })
    await expectMag(t, layer, 1, [0, 0, 0], upsampleReference(data, [2, 2, 2], dtype), dtype)
  }
})

// ---------------------------------------------------------------------------------------------
// Bookkeeping: headers, registration, errors, progress, abort, event loop

test('new mags are LZ4HC by default, raw with compress: false, with block and file lengths of the source', async (t) => {
  const data = randomGrid('uint8', [1, 32, 32, 32], 21)
  {
    const { layer, path } = await setupWith(t, data, { blockLen: 16, fileLen: 2 })
    await layer.downsample({ maxMag: 4, samplingMode: 'isotropic' })
    for (const m of ['2', '4']) {
      t.deepEqual({ ...layer.getMag(m).header }, { version: 1, blockLen: 16, fileLen: 2, blockType: 'lz4hc', voxelType: 'uint8', numChannels: 1 }, `mag ${m}`)
    }
    const onDisk = await WkwDataset.open(join(path, 'color', '2'))
    t.is(onDisk.header.blockType, 'lz4hc')
    await onDisk.close()
    const json = readJson(path).dataLayers[0]
    t.deepEqual(json.wkwResolutions, [
      { resolution: [1, 1, 1], cubeLength: 32 },
      { resolution: [2, 2, 2], cubeLength: 32 },
      { resolution: [4, 4, 4], cubeLength: 32 },
    ])
    await expectMag(t, layer, 4, [0, 0, 0], downsampleReference(downsampleReference(data, [2, 2, 2], 'median', 'uint8'), [2, 2, 2], 'median', 'uint8'), 'lz4hc mag 4 reads back')
  }
  {
    const { layer, path } = await setupWith(t, data)
    await layer.downsample({ maxMag: 4, samplingMode: 'isotropic', compress: false })
    for (const m of ['2', '4']) t.is(layer.getMag(m).header.blockType, 'raw', `mag ${m}`)
    const onDisk = await WkwDataset.open(join(path, 'color', '4'))
    t.is(onDisk.header.blockType, 'raw')
    t.is(onDisk.header.blockLen, 8)
    t.is(onDisk.header.fileLen, 4)
    await onDisk.close()
    // Reopened, the header is the same.
    const reopened = await Dataset.open(path)
    t.is(reopened.getLayer('color').getMag(4).header.blockType, 'raw')
  }
  {
    const { layer } = await setupWith(t, data)
    await layer.downsampleMag({ fromMag: 1, targetMag: 2, compress: false })
    t.is(layer.getMag(2).header.blockType, 'raw')
    await layer.downsampleMagList({ fromMag: 2, targetMags: [4] })
    t.is(layer.getMag(4).header.blockType, 'lz4hc')
  }
})

formatTest('an existing target mag is ERR_WK_ALREADY_EXISTS and nothing is written', async (t, format) => {
  const data = randomGrid('uint8', [1, 32, 32, 32], 22)
  const { layer, path } = await setupWith(t, data, { format })
  const four = await layer.addMag(4, { blockLen: 8, fileLen: 4 })
  const marker = gridOf('uint8', [1, 8, 8, 8], () => 42)
  await four.write(marker)
  const before = dirs(join(path, 'color'))
  // downsampleMag to an existing mag.
  let e = await t.throwsAsync(layer.downsampleMag({ fromMag: 1, targetMag: 4 }))
  t.is(code(e), 'ERR_WK_ALREADY_EXISTS')
  // A ladder whose second step exists: rejected before the first step writes anything.
  e = await t.throwsAsync(layer.downsample({ fromMag: 1, maxMag: 8, samplingMode: 'isotropic' }))
  t.is(code(e), 'ERR_WK_ALREADY_EXISTS')
  e = await t.throwsAsync(layer.downsampleMagList({ fromMag: 1, targetMags: [2, 4] }))
  t.is(code(e), 'ERR_WK_ALREADY_EXISTS')
  // Upsampling into an existing mag.
  e = await t.throwsAsync(layer.upsample({ fromMag: 4, minMag: 1, compress: false }))
  t.is(code(e), 'ERR_WK_ALREADY_EXISTS')
  t.deepEqual(dirs(join(path, 'color')), before, 'no directory was created')
  t.deepEqual(magNames(layer), ['1', '4'])
  await expectMag(t, layer, 4, [0, 0, 0], marker, 'mag 4 untouched')
})

formatTest('a bad argument writes nothing', async (t, format) => {
  const data = randomGrid('uint8', [1, 32, 32, 32], 23)
  const { layer, path } = await setupWith(t, data, { format, scale: [1, 1, 1] })
  const before = dirs(join(path, 'color'))
  const properties = JSON.stringify(readJson(path))
  const attempts: [string, () => Promise<unknown>, string][] = [
    ['unknown interpolation mode', () => layer.downsample({ interpolationMode: 'linear' as never }), 'ERR_WK_INVALID_ARGUMENT'],
    ['unknown sampling mode', () => layer.downsample({ samplingMode: 'sideways' as never }), 'ERR_WK_INVALID_ARGUMENT'],
    ['bufferEdgeLen 0', () => layer.downsampleMag({ fromMag: 1, targetMag: 2, bufferEdgeLen: 0 }), 'ERR_WK_INVALID_ARGUMENT'],
    ['jobs 0', () => layer.downsampleMag({ fromMag: 1, targetMag: 2, jobs: 0 }), 'ERR_WK_INVALID_ARGUMENT'],
    ['a mag that is not a power of two', () => layer.downsampleMag({ fromMag: 1, targetMag: 3 }), 'ERR_WK_INVALID_ARGUMENT'],
    ['an unknown fromMag', () => layer.downsampleMag({ fromMag: 2, targetMag: 4 }), 'ERR_WK_NOT_FOUND'],
    ['an unknown fromMag (downsample)', () => layer.downsample({ fromMag: 2 }), 'ERR_WK_NOT_FOUND'],
    ['an unknown fromMag (upsample)', () => layer.upsample({ fromMag: 2, compress: false }), 'ERR_WK_NOT_FOUND'],
    ['unknown sampling mode (upsample)', () => layer.upsample({ fromMag: 1, compress: false, samplingMode: 'sideways' as never }), 'ERR_WK_INVALID_ARGUMENT'],
    ['upsample without compress', () => layer.upsample({ fromMag: 1 } as never), 'ERR_WK_INVALID_ARGUMENT'],
    ['targetMags not an array', () => layer.downsampleMagList({ fromMag: 1, targetMags: 2 as never }), 'ERR_WK_INVALID_ARGUMENT'],
  ]
  for (const [what, attempt, expected] of attempts) {
    const e = await t.throwsAsync(attempt(), undefined, what)
    t.is(code(e), expected, what)
  }
  t.deepEqual(dirs(join(path, 'color')), before, 'no directory was created')
  t.is(JSON.stringify(readJson(path)), properties, 'the properties are unchanged')
  t.deepEqual(magNames(layer), ['1'])
  // A coarsest mag the ladder cannot reach (test_invalid_mag_calculation through a layer).
  const other = await setupWith(t, data, { format, scale: [10.5, 10.5, 24] })
  for (const maxMag of ['1-1-2', '4-4-16']) {
    t.is(code(await t.throwsAsync(other.layer.downsample({ fromMag: 1, maxMag }))), 'ERR_WK_INVALID_ARGUMENT', `maxMag ${maxMag}`)
  }
  t.deepEqual(dirs(join(other.path, 'color')), ['1'])
})

test('a target mag that is not a multiple of the source on every axis is refused, nothing written', async (t) => {
  // The reference divided per axis without a check (factor 0 in z); the contract checks first.
  const { layer, path } = await setupWith(t, randomGrid('uint8', [1, 8, 8, 8], 24), { mag: 2 })
  const e = await t.throwsAsync(layer.downsampleMag({ fromMag: 2, targetMag: '4-4-1' }))
  t.is(code(e), 'ERR_WK_INVALID_ARGUMENT')
  t.false(existsSync(join(path, 'color', '4-4-1')))
  t.deepEqual(magNames(layer), ['2'])
})

test('downsampling a layer without mags or with an empty bounding box is refused', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color')
  t.is(code(await t.throwsAsync(layer.downsample())), 'ERR_WK_INVALID_ARGUMENT')
  await layer.addMag(1, { blockLen: 8, fileLen: 4 })
  // §4.2: a size of 0 cannot give a default maxMag; with one, there is nothing to sample either.
  t.is(code(await t.throwsAsync(layer.downsample())), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(await t.throwsAsync(layer.downsampleMag({ fromMag: 1, targetMag: 2 }))), 'ERR_WK_INVALID_ARGUMENT')
  t.deepEqual(dirs(join(path, 'color')), ['1'])
})

formatSerial('onProgress reports one running done/total over all target files of all steps', async (t, format) => {
  // 256×256×64 at mag 1 with 32-voxel files: mag 2 is 128×128×32 (4·4·1 = 16 files), mag 4 is
  // 64×64×16 (2·2·1 = 4 files): total 20.
  const { layer, path } = await setupWith(t, randomGrid('uint8', [1, 256, 256, 64], 25), { format })
  const reports: Progress[] = []
  const registrations: { done: number; mags: string[] }[] = []
  const onProgress = (p: Progress) => {
    reports.push({ ...p })
    const mags = magEntriesOf(readJson(path).dataLayers[0]).map((r) => String(r.resolution ?? r.mag))
    registrations.push({ done: p.done, mags })
  }
  await layer.downsample({ maxMag: 4, samplingMode: 'isotropic', onProgress, jobs: 1 })
  t.true(reports.length > 0)
  t.true(reports.every((p) => p.total === 20), `totals: ${reports.map((p) => p.total)}`)
  t.true(
    reports.every((p, i) => p.done >= 0 && p.done <= p.total && (i === 0 || p.done >= reports[i - 1].done)),
    `done is monotone within [0, total]: ${reports.map((p) => p.done)}`,
  )
  t.deepEqual(reports.at(-1), { done: 20, total: 20 })
  // Mags are registered (properties saved) only when their step completes: while step 1 runs, the
  // properties list mag 1 only; while step 2 runs, mag 2 but not yet mag 4.
  const inStep1 = registrations.filter((r) => r.done < 16)
  const inStep2 = registrations.filter((r) => r.done > 16 && r.done < 20)
  t.true(inStep1.length > 0 && inStep2.length > 0, `reports: ${reports.map((p) => p.done)}`)
  for (const r of inStep1) t.deepEqual(r.mags, ['1,1,1'], `properties at done ${r.done}`)
  for (const r of inStep2) t.deepEqual(r.mags, ['1,1,1', '2,2,2'], `properties at done ${r.done}`)
  t.deepEqual(magEntriesOf(readJson(path).dataLayers[0]).map((r) => String(r.resolution ?? r.mag)), ['1,1,1', '2,2,2', '4,4,4'])
  // A box that does not start at 0: 48×64×32 at (40,0,0) → the mag-2 box (20,0,0)/(24,32,16)
  // touches 2 files.
  const offset = await setupWith(t, randomGrid('uint8', [1, 48, 64, 32], 31), { format, offset: [40, 0, 0] })
  const offsetReports: Progress[] = []
  await offset.layer.downsampleMag({ fromMag: 1, targetMag: 2, onProgress: (p) => offsetReports.push({ ...p }) })
  t.deepEqual(offsetReports.at(-1), { done: 2, total: 2 })
  // Upsampling counts the same way: mag 2 to 1 over a 64×64×32 box at mag 1 → 2·2·1 = 4 files.
  const up = await setupWith(t, randomGrid('uint8', [1, 32, 32, 16], 26), { format, mag: 2 })
  const upReports: Progress[] = []
  await up.layer.upsample({ fromMag: 2, compress: false, onProgress: (p) => upReports.push({ ...p }) })
  t.deepEqual(upReports.at(-1), { done: 4, total: 4 })
})

formatTest('an AbortSignal that is already aborted rejects with AbortError and writes nothing', async (t, format) => {
  const { layer, path } = await setupWith(t, randomGrid('uint8', [1, 32, 32, 32], 27), { format })
  const before = dirs(join(path, 'color'))
  const e = await t.throwsAsync(layer.downsample({ maxMag: 4, signal: AbortSignal.abort() }))
  t.is(e?.name, 'AbortError')
  t.deepEqual(dirs(join(path, 'color')), before)
  t.deepEqual(magNames(await Dataset.open(path).then((d) => d.getLayer('color'))), ['1'])
})

formatSerial('abort during the second step: finished mags stay, the unfinished one is unregistered, a rerun completes', async (t, format) => {
  // 512×512×32 at mag 1, 32-voxel files, max: step 1 → mag 2 (8·8·1 = 64 files), step 2 → mag 4
  // (4·4·1 = 16 files), step 3 → mag 8 (1 file). The signal is aborted from onProgress as soon as
  // step 2 has reported a file, with one native thread.
  const data = randomGrid('uint8', [1, 512, 512, 32], 28)
  const { layer, path } = await setupWith(t, data, { format })
  const controller = new AbortController()
  let abortedAt: Progress | undefined
  const e = await t.throwsAsync(
    layer.downsample({
      maxMag: 8,
      samplingMode: 'isotropic',
      interpolationMode: 'max',
      jobs: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (!abortedAt && p.done > 64) {
          abortedAt = { ...p }
          controller.abort()
        }
      },
    }),
  )
  t.is(e?.name, 'AbortError')
  t.true(e instanceof AbortError)
  t.truthy(abortedAt, 'the abort happened during step 2')
  const reopened = (await Dataset.open(path)).getLayer('color')
  const registered = magNames(reopened)
  t.true(registered.includes('2'), 'the finished mag 2 stays registered')
  t.false(registered.includes('8'), 'mag 8 was never made')
  const midStep = !registered.includes('4')
  t.log(midStep ? 'aborted in the middle of step 2' : 'step 2 finished before the abort was seen; step 3 never started')
  if (midStep) t.true(existsSync(join(path, 'color', '4')), 'the unfinished mag 4 is on disk but not registered')
  const m2 = downsampleReference(data, [2, 2, 2], 'max', 'uint8')
  await expectMag(t, reopened, 2, [0, 0, 0], m2, 'mag 2 is complete')
  // The rerun continues from the coarsest registered mag and reuses the leftover directory.
  await reopened.downsample({ maxMag: 8, samplingMode: 'isotropic', interpolationMode: 'max' })
  t.deepEqual(magNames(reopened), ['1', '2', '4', '8'])
  const m4 = downsampleReference(m2, [2, 2, 2], 'max', 'uint8')
  await expectMag(t, reopened, 4, [0, 0, 0], m4, 'mag 4 after the rerun')
  await expectMag(t, reopened, 8, [0, 0, 0], downsampleReference(m4, [2, 2, 2], 'max', 'uint8'), 'mag 8 after the rerun')
  t.deepEqual(magNames(await Dataset.open(path).then((d) => d.getLayer('color'))), ['1', '2', '4', '8'])
})

test('a leftover unregistered mag directory with the same header is reused', async (t) => {
  // What an aborted run leaves behind: the directory of the mag, with a header and some files,
  // not in the properties.
  const data = randomGrid('uint8', [1, 32, 32, 32], 29)
  const { layer, path } = await setupWith(t, data)
  const leftover = await WkwDataset.create(join(path, 'color', '2'), { version: 1, blockLen: 8, fileLen: 4, blockType: 'lz4hc', voxelType: 'uint8', numChannels: 1 })
  await leftover.close()
  t.deepEqual(magNames(await Dataset.open(path).then((d) => d.getLayer('color'))), ['1'])
  await layer.downsampleMag({ fromMag: 1, targetMag: 2 })
  t.deepEqual(magNames(layer), ['1', '2'])
  await expectMag(t, layer, 2, [0, 0, 0], downsampleReference(data, [2, 2, 2], 'median', 'uint8'), 'mag 2')
})

formatSerial('the event loop stays free while downsampling runs', async (t, format) => {
  const data = randomGrid('uint8', [1, 512, 512, 64], 30)
  const { layer } = await setupWith(t, data, { format })
  let ticks = 0
  const timer = setInterval(() => ticks++, 2)
  // The share of the time the event loop was busy (not waiting for events): work on the main
  // thread shows here, while the machine's other load (other test files) does not.
  const before = nodePerformance.eventLoopUtilization()
  const start = performance.now()
  try {
    await layer.downsample({ maxMag: 4, samplingMode: 'isotropic', interpolationMode: 'median', jobs: 1 })
  } finally {
    clearInterval(timer)
  }
  const elapsed = performance.now() - start
  const busy = nodePerformance.eventLoopUtilization(before)
  t.log(`downsampling took ${elapsed.toFixed(0)} ms; ${ticks} ticks; the event loop was busy ${(busy.utilization * 100).toFixed(0)} % of it`)
  t.true(ticks >= 3, 'the interval kept ticking')
  t.true(busy.utilization < 0.5, 'the work ran off the event loop')
})
