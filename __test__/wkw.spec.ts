import test, { type ExecutionContext } from 'ava'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AbortError, DTYPES, type DType, WebknossosError, WkwDataset, wkw } from '../index'
import { bytes, randomArray } from './helpers/data'
import { tempDir } from './helpers/paths'

const code = (e: unknown) => (e as WebknossosError).code

test('is exported as wkw.WkwDataset too', (t) => {
  t.is(wkw.WkwDataset, WkwDataset)
})

for (const dtype of DTYPES) {
  test(`round-trips ${dtype} across file borders`, async (t) => {
    const dir = tempDir(t)
    const ds = await WkwDataset.create(dir, { voxelType: dtype, blockLen: 8, fileLen: 2 })
    t.deepEqual(ds.header, { version: 1, blockLen: 8, fileLen: 2, blockType: 'raw', voxelType: dtype, numChannels: 1 })
    const shape = [21, 18, 35] as const
    const data = randomArray(dtype, 21 * 18 * 35, 7)
    await ds.write([9, 10, 3], { data, shape })
    const back = await ds.read([9, 10, 3], shape)
    t.deepEqual(back.shape, [1, 21, 18, 35])
    t.deepEqual(back.stride, [1, 1, 21, 21 * 18])
    t.is(back.dtype, dtype)
    t.is(back.data.constructor, data.constructor)
    t.deepEqual(bytes(back.data), bytes(data))
  })
}

for (const blockType of ['raw', 'lz4', 'lz4hc'] as const) {
  test(`round-trips 3-channel uint16 data in ${blockType} files`, async (t) => {
    const dir = tempDir(t)
    const ds = await WkwDataset.create(dir, { voxelType: 'uint16', numChannels: 3, blockLen: 4, fileLen: 4, blockType })
    const data = randomArray('uint16', 3 * 32 * 16 * 48, 3)
    await ds.write([16, 0, 16], { data, shape: [3, 32, 16, 48] })
    const back = await ds.read([16, 0, 16], [32, 16, 48])
    t.deepEqual(back.shape, [3, 32, 16, 48])
    t.deepEqual(back.stride, [1, 3, 96, 96 * 16])
    t.deepEqual(bytes(back.data), bytes(data))
    const files = readdirSync(join(dir, 'z1', 'y0'))
    t.deepEqual(files.sort(), ['x1.wkw', 'x2.wkw'])
  })
}

test('reads unwritten regions as zeros, also next to written data', async (t) => {
  const ds = await WkwDataset.create(tempDir(t), { voxelType: 'float32', blockLen: 4, fileLen: 2 })
  await ds.write([4, 4, 4], { data: new Float32Array([1.5]), shape: [1, 1, 1] })
  const back = await ds.read([3, 3, 3], [2, 2, 2])
  t.deepEqual([...back.data], [0, 0, 0, 0, 0, 0, 0, 1.5])
  t.deepEqual([...(await ds.read([5000, 0, 0], [2, 1, 1])).data], [0, 0])
  t.deepEqual((await ds.read([0, 0, 0], [0, 4, 4])).shape, [1, 0, 4, 4])
})

test('writes the reference header bytes', async (t) => {
  const dir = tempDir(t)
  await WkwDataset.create(dir, { voxelType: 'uint32', blockType: 'lz4hc' })
  t.deepEqual([...readFileSync(join(dir, 'header.wkw'))], [0x57, 0x4b, 0x57, 1, 0x55, 3, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0])
})

test('create refuses an existing header and open a missing one', async (t) => {
  const dir = tempDir(t)
  const missing = await t.throwsAsync(WkwDataset.open(dir))
  t.is(code(missing), 'ERR_WK_NOT_FOUND')
  t.true(missing!.message.includes(dir))
  await WkwDataset.create(dir, { voxelType: 'uint8' })
  const again = await t.throwsAsync(WkwDataset.create(dir, { voxelType: 'uint8' }))
  t.true(again instanceof WebknossosError)
  t.is(code(again), 'ERR_WK_ALREADY_EXISTS')
})

test('rejects invalid headers', async (t) => {
  const dir = tempDir(t)
  for (const header of [
    { voxelType: 'uint8', blockLen: 3 },
    { voxelType: 'uint8', fileLen: 0 },
    { voxelType: 'uint8', blockType: 'zstd' },
    { voxelType: 'float16' },
    { voxelType: 'uint8', numChannels: 0 },
  ]) {
    const error = await t.throwsAsync(WkwDataset.create(dir, header as never))
    t.is(code(error), 'ERR_WK_INVALID_ARGUMENT', JSON.stringify(header))
  }
  t.false(existsSync(join(dir, 'header.wkw')))
})

test('rejects wrong arrays, shapes and offsets before writing anything', async (t) => {
  const dir = tempDir(t)
  const ds = await WkwDataset.create(dir, { voxelType: 'uint16', numChannels: 2 })
  const cases: [readonly number[], unknown][] = [
    [[0, 0, 0], { data: new Uint8Array(16), shape: [2, 2, 2, 2] }],
    [[0, 0, 0], { data: new Uint16Array(15), shape: [2, 2, 2, 2] }],
    [[0, 0, 0], { data: new Uint16Array(8), shape: [2, 2, 2] }],
    [[0, 0, 0], { data: new Uint16Array(24), shape: [3, 2, 2, 2] }],
    [[0, 0, 0], { data: new Uint16Array(16), shape: [2, 2, 2, 2, 1] }],
    [[-1, 0, 0], { data: new Uint16Array(16), shape: [2, 2, 2, 2] }],
    [[0.5, 0, 0], { data: new Uint16Array(16), shape: [2, 2, 2, 2] }],
    [[0, 0], { data: new Uint16Array(16), shape: [2, 2, 2, 2] }],
  ]
  for (const [offset, data] of cases) {
    const error = await t.throwsAsync(ds.write(offset as never, data as never))
    t.is(code(error), 'ERR_WK_INVALID_ARGUMENT', error?.message)
  }
  t.deepEqual(readdirSync(dir), ['header.wkw'])
})

test('compressed datasets take only whole files', async (t) => {
  const ds = await WkwDataset.create(tempDir(t), { voxelType: 'uint8', blockLen: 8, fileLen: 2, blockType: 'lz4hc' })
  const error = await t.throwsAsync(ds.write([0, 0, 0], { data: new Uint8Array(8), shape: [2, 2, 2] }))
  t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
  t.regex(error!.message, /each file has to be written as a whole/)
  const data = randomArray('uint8', 32 * 16 * 16) as Uint8Array
  await ds.write([16, 0, 0], { data, shape: [32, 16, 16] })
  t.deepEqual((await ds.read([16, 0, 0], [32, 16, 16])).data, data)
})

test('compresses into a new dataset with progress, and refuses an existing target', async (t) => {
  const dir = tempDir(t)
  const raw = await WkwDataset.create(join(dir, 'raw'), { voxelType: 'int16', blockLen: 4, fileLen: 2 })
  const data = randomArray('int16', 24 * 24 * 8) as Int16Array
  await raw.write([0, 0, 0], { data, shape: [24, 24, 8] })
  const reports: number[][] = []
  const compressed = await raw.compress(join(dir, 'lz4hc'), { onProgress: (p) => reports.push([p.done, p.total]), jobs: 2 })
  t.is(compressed.header.blockType, 'lz4hc')
  t.deepEqual((await compressed.read([0, 0, 0], [24, 24, 8])).data, data)
  await new Promise((resolve) => setImmediate(resolve))
  t.deepEqual(reports.at(-1), [9, 9])
  t.is(code(await t.throwsAsync(raw.compress(join(dir, 'lz4hc')))), 'ERR_WK_ALREADY_EXISTS')
})

// Serial: the abort travels through the event loop, which concurrent tests keep busy.
test.serial('an aborted compression rejects with AbortError', async (t) => {
  const dir = tempDir(t)
  const raw = await WkwDataset.create(join(dir, 'raw'), { voxelType: 'uint8', blockLen: 32, fileLen: 4 })
  await raw.write([0, 0, 0], { data: randomArray('uint8', 1024 * 128 * 128), shape: [1024, 128, 128] })
  const before = new AbortController()
  before.abort()
  const early = await t.throwsAsync(raw.compress(join(dir, 'a'), { signal: before.signal }))
  t.true(early instanceof AbortError)
  t.false(existsSync(join(dir, 'a')))
  const controller = new AbortController()
  const late = await t.throwsAsync(
    raw.compress(join(dir, 'b'), { signal: controller.signal, jobs: 1, onProgress: (p) => p.done >= 1 && controller.abort() }),
  )
  t.is(late?.name, 'AbortError')
  const done = await WkwDataset.open(join(dir, 'b'))
  const files = readdirSync(join(dir, 'b', 'z0', 'y0'))
  t.true(files.length >= 1 && files.length < 8, files.join())
  t.true(files.every((f) => /^x\d+\.wkw$/.test(f)))
  for (const f of files) {
    const x = Number(f.slice(1, -4))
    t.deepEqual((await done.read([x * 128, 0, 0], [128, 128, 128])).data, (await raw.read([x * 128, 0, 0], [128, 128, 128])).data)
  }
})

async function corruptFixture(t: ExecutionContext) {
  const dir = tempDir(t)
  const ds = await WkwDataset.create(dir, { voxelType: 'uint8', blockLen: 4, fileLen: 2, blockType: 'lz4hc' })
  await ds.write([0, 0, 0], { data: randomArray('uint8', 512), shape: [8, 8, 8] })
  return { ds, file: join(dir, 'z0', 'y0', 'x0.wkw') }
}

const corruptions: [string, (b: Buffer) => Buffer, RegExp][] = [
  ['a bad magic', (b) => Buffer.concat([Buffer.from('WKX'), b.subarray(3)]), /magic bytes/],
  ['a bad block type', (b) => (b.fill(9, 5, 6), b), /Block type '9'/],
  ['an empty file', () => Buffer.alloc(0), /Header is truncated/],
  ['a zeroed jump table', (b) => (b.fill(0, 16, 80), b), /Corrupt jump table/],
  ['a jump table cut short', (b) => b.subarray(0, 40), /Jump table is truncated/],
  ['a truncated block', (b) => b.subarray(0, b.length - 3), /truncated/],
  ['bad LZ4 data', (b) => (b.fill(0xff, 80, 100), b), /LZ4|length/],
]

for (const [what, corrupt, message] of corruptions) {
  test(`a data file with ${what} is ERR_WK_CORRUPT naming the file`, async (t) => {
    const { ds, file } = await corruptFixture(t)
    writeFileSync(file, corrupt(readFileSync(file)))
    const error = await t.throwsAsync(ds.read([0, 0, 0], [8, 8, 8]))
    t.true(error instanceof WebknossosError)
    t.is(code(error), 'ERR_WK_CORRUPT')
    t.regex(error!.message, message)
    t.true(error!.message.includes(file), error!.message)
  })
}

test('a corrupt header.wkw is ERR_WK_CORRUPT on open', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'header.wkw'), Buffer.from('WKW\u0002'.padEnd(16, '\u0000'), 'latin1'))
  const error = await t.throwsAsync(WkwDataset.open(dir))
  t.is(code(error), 'ERR_WK_CORRUPT')
  t.regex(error!.message, /Version number '2' is invalid/)
})

test('keeps the event loop free during bulk I/O', async (t) => {
  const ds = await WkwDataset.create(tempDir(t), { voxelType: 'uint8' })
  const data = randomArray('uint8', 512 * 512 * 256)
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  await ds.write([0, 0, 0], { data, shape: [512, 512, 256] })
  await ds.read([0, 0, 0], [512, 512, 256])
  clearInterval(timer)
  t.true(ticks > 2, `${ticks} timer ticks`)
})

test('refuses calls after close', async (t) => {
  const ds = await WkwDataset.create(tempDir(t), { voxelType: 'uint8' })
  await ds.close()
  t.is(code(await t.throwsAsync(ds.read([0, 0, 0], [1, 1, 1]))), 'ERR_WK_INVALID_ARGUMENT')
})

test('64-bit data round-trips as BigInt arrays', async (t) => {
  const ds = await WkwDataset.create(tempDir(t), { voxelType: 'int64' as DType })
  const data = new BigInt64Array([-1n, 2n ** 62n, -(2n ** 63n), 5n])
  await ds.write([1, 2, 3], { data, shape: [4, 1, 1] })
  t.deepEqual((await ds.read([1, 2, 3], [4, 1, 1])).data, data)
})
