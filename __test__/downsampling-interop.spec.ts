// Differential tests against the Python reference: the same random volume downsampled by our
// layer API and by today's webknossos filters (and scipy for the spline modes).
import anyTest, { type ExecutionContext } from 'ava'
import { join } from 'node:path'
import { Dataset, type DType } from '../index'
import { arrayType } from '../lib/storage/dtype'
import { bytes, randomArray } from './helpers/data'
import { tempDir } from './helpers/paths'
import { oracle, readBytes, withReference, writeBytes } from './helpers/reference'

const test = withReference(anyTest)

/** Random data with few distinct values, so that the mode has real majorities and ties. */
function labels(dtype: DType, length: number, seed: number) {
  const data = randomArray(dtype, length, seed)
  for (let i = 0; i < data.length; i++) {
    const v = Number(typeof data[i] === 'bigint' ? BigInt.asUintN(8, data[i] as bigint) : data[i]) & 3
    data[i] = (typeof data[i] === 'bigint' ? BigInt(v) : v) as never
  }
  return data
}

const SIZE = [64, 48, 32] as const

async function ours(t: ExecutionContext, dtype: DType, data: ArrayLike<unknown>, factors: readonly number[], mode: string) {
  const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color', { dtypePerChannel: dtype })
  await (await layer.addMag(1, { blockLen: 8, fileLen: 8 })).write({ data: data as never, shape: [...SIZE] })
  await layer.downsampleMag({ fromMag: 1, targetMag: factors as [number, number, number], interpolationMode: mode as never, bufferEdgeLen: 256 })
  return layer.getMag(factors as [number, number, number]).read({ size: SIZE.map((s, i) => s / factors[i]) as never })
}

const cases: [DType, number[], string][] = [
  ['uint8', [2, 2, 2], 'median'],
  ['uint8', [2, 2, 1], 'median'],
  ['int16', [2, 2, 2], 'median'],
  ['float32', [1, 1, 2], 'median'],
  ['uint32', [2, 2, 2], 'max'],
  ['int16', [2, 1, 1], 'min'],
  ['float32', [2, 2, 2], 'max'],
  ['uint8', [2, 2, 2], 'nearest'],
  ['uint16', [2, 2, 1], 'nearest'],
  ['float32', [1, 2, 2], 'nearest'],
]

for (const [dtype, factors, mode] of cases) {
  test(`${mode} ${dtype} by ${factors.join('-')} is identical to today's webknossos`, async (t) => {
    const data = randomArray(dtype, SIZE[0] * SIZE[1] * SIZE[2], 17)
    const dir = tempDir(t)
    oracle({ op: 'downsample_cube', in: writeBytes(join(dir, 'in'), data), out: join(dir, 'out'), shape: SIZE, factors, dtype, mode })
    t.deepEqual(bytes((await ours(t, dtype, data, factors, mode)).data), readBytes(join(dir, 'out')))
  })
}

for (const [dtype, factors] of [['uint8', [2, 2, 2]], ['uint32', [2, 2, 1]], ['int64', [1, 2, 2]]] as [DType, number[]][]) {
  test(`mode ${dtype} by ${factors.join('-')} matches webknossos where no tie occurs, and the smallest tied value where one does`, async (t) => {
    const data = labels(dtype, SIZE[0] * SIZE[1] * SIZE[2], 23)
    const dir = tempDir(t)
    const { ties } = oracle<{ ties: number }>({ op: 'downsample_cube', in: writeBytes(join(dir, 'in'), data), out: join(dir, 'out'), shape: SIZE, factors, dtype, mode: 'mode' })
    const result = (await ours(t, dtype, data, factors, 'mode')).data
    const type = arrayType(dtype)
    const today = new type(readBytes(join(dir, 'out')).buffer)
    const smallest = new type(readBytes(join(dir, 'out.smallest')).buffer)
    t.true(ties > 0, 'the data has ties')
    t.deepEqual(result, smallest)
    const differing = result.filter((v, i) => v !== today[i]).length
    t.true(differing <= ties, `${differing} voxels differ from today's rule, ${ties} windows have ties`)
  })
}

for (const [mode, dtype, factors] of [
  ['bilinear', 'uint8', [2, 2, 2]],
  ['bilinear', 'int16', [2, 2, 1]],
  ['bicubic', 'uint8', [2, 2, 2]],
  ['bicubic', 'uint16', [1, 2, 2]],
] as [string, DType, number[]][]) {
  test(`${mode} ${dtype} by ${factors.join('-')} is within 1 of scipy`, async (t) => {
    const data = randomArray(dtype, SIZE[0] * SIZE[1] * SIZE[2], 29)
    const dir = tempDir(t)
    oracle({ op: 'downsample_cube', in: writeBytes(join(dir, 'in'), data), out: join(dir, 'out'), shape: SIZE, factors, dtype, mode: `scipy_${mode}` })
    const result = (await ours(t, dtype, data, factors, mode)).data
    const expected = new (arrayType(dtype))(readBytes(join(dir, 'out')).buffer)
    const worst = Math.max(...Array.from(result as ArrayLike<number | bigint>, (v, i) => Math.abs(Number(v) - Number(expected[i]))))
    t.true(worst <= 1, `largest difference ${worst}`)
  })
}
