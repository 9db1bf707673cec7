import test from 'ava'
import { BoundingBox } from '../lib/geometry/bounding-box'
import { WebknossosError } from '../lib/errors'
import { Mag } from '../lib/geometry/mag'
import type { Vec3 } from '../lib/geometry/vec3'

const code = (e: unknown) => (e as WebknossosError).code
const box = (topLeft: Vec3, size: Vec3) => new BoundingBox(topLeft, size)
const ranges = (boxes: BoundingBox[], axis: number) =>
  [...new Set(boxes.map((b) => JSON.stringify([b.topLeft[axis], b.bottomRight[axis]])))].map((r) => JSON.parse(r))

// Ported from the Python reference, tests/test_bounding_box.py.

const alignCases: { topLeft: Vec3; size: Vec3; mag: number; ceil: boolean; expected: [Vec3, Vec3] }[] = [
  { topLeft: [1, 1, 1], size: [10, 10, 10], mag: 2, ceil: true, expected: [[0, 0, 0], [12, 12, 12]] },
  { topLeft: [1, 1, 1], size: [9, 9, 9], mag: 2, ceil: true, expected: [[0, 0, 0], [10, 10, 10]] },
  { topLeft: [1, 1, 1], size: [9, 9, 9], mag: 4, ceil: true, expected: [[0, 0, 0], [12, 12, 12]] },
  { topLeft: [1, 2, 3], size: [9, 9, 9], mag: 2, ceil: true, expected: [[0, 2, 2], [10, 10, 10]] },
  { topLeft: [1, 1, 1], size: [10, 10, 10], mag: 2, ceil: false, expected: [[2, 2, 2], [8, 8, 8]] },
  { topLeft: [1, 1, 1], size: [9, 9, 9], mag: 2, ceil: false, expected: [[2, 2, 2], [8, 8, 8]] },
  { topLeft: [1, 1, 1], size: [9, 9, 9], mag: 4, ceil: false, expected: [[4, 4, 4], [4, 4, 4]] },
  { topLeft: [1, 2, 3], size: [9, 9, 9], mag: 2, ceil: false, expected: [[2, 2, 4], [8, 8, 8]] },
  { topLeft: [1, 1, 1], size: [2, 2, 2], mag: 4, ceil: false, expected: [[4, 4, 4], [-4, -4, -4]] },
  { topLeft: [-3, -3, -3], size: [10, 10, 10], mag: 4, ceil: false, expected: [[0, 0, 0], [4, 4, 4]] },
  { topLeft: [-3, -3, -3], size: [10, 10, 10], mag: 4, ceil: true, expected: [[-4, -4, -4], [12, 12, 12]] },
]

for (const { topLeft, size, mag, ceil, expected } of alignCases) {
  const label = `${ceil ? 'ceil' : 'floor'}: ${box(topLeft, size)} mag ${mag}`
  test(`alignWithMag ${label}`, (t) => {
    const aligned = box(topLeft, size).alignWithMag(new Mag(mag), { ceil })
    t.deepEqual([aligned.topLeft, aligned.size], expected)
    // A plain MagLike works the same.
    t.true(box(topLeft, size).alignWithMag(mag, { ceil }).equals(aligned))
  })
}

test('alignWithMag shrinks by default', (t) => {
  t.true(box([1, 1, 1], [10, 10, 10]).alignWithMag(2).equals(box([2, 2, 2], [8, 8, 8])))
  t.true(box([1, 1, 1], [10, 10, 10]).alignWithMag(2, {}).equals(box([2, 2, 2], [8, 8, 8])))
})

test('alignWithMag with an anisotropic mag', (t) => {
  const aligned = box([1, 1, 1], [10, 10, 10]).alignWithMag('4-2-1', { ceil: true })
  t.deepEqual([aligned.topLeft, aligned.size], [[0, 0, 1], [12, 12, 10]])
})

test('inMag divides an aligned box', (t) => {
  const inMag = box([2, 2, 2], [10, 10, 10]).inMag(new Mag(2))
  t.deepEqual([inMag.topLeft, inMag.size], [[1, 1, 1], [5, 5, 5]])
})

test('inMag with an anisotropic mag and negative coordinates', (t) => {
  const inMag = box([-4, 2, 3], [8, 4, 5]).inMag('4-2-1')
  t.deepEqual([inMag.topLeft, inMag.size], [[-1, 1, 3], [2, 2, 5]])
})

for (const [topLeft, size] of [
  [[1, 2, 3], [9, 9, 9]],
  [[2, 2, 2], [9, 9, 9]],
] as [Vec3, Vec3][]) {
  test(`inMag rejects ${box(topLeft, size)}, which is not aligned with mag 2`, (t) => {
    const error = t.throws(() => box(topLeft, size).inMag(new Mag(2)), { message: /is not aligned with mag 2/ })
    t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
  })
}

// Beyond the reference tests.

test('constructor, bottomRight and toString', (t) => {
  const b = box([1, 2, 3], [4, 5, 6])
  t.deepEqual(b.topLeft, [1, 2, 3])
  t.deepEqual(b.size, [4, 5, 6])
  t.deepEqual(b.bottomRight, [5, 7, 9])
  t.is(String(b), 'BoundingBox(topLeft=(1, 2, 3), size=(4, 5, 6))')
})

test('is frozen and copies its arguments', (t) => {
  const topLeft: [number, number, number] = [1, 2, 3]
  const b = new BoundingBox(topLeft, [4, 5, 6])
  topLeft[0] = 100
  t.deepEqual(b.topLeft, [1, 2, 3])
  t.true(Object.isFrozen(b))
  t.true(Object.isFrozen(b.topLeft))
  t.true(Object.isFrozen(b.size))
  t.true(Object.isFrozen(b.bottomRight))
  t.throws(() => {
    ;(b.topLeft as unknown as number[])[0] = 7
  })
  t.throws(() => {
    ;(b as { size: Vec3 }).size = [0, 0, 0]
  })
})

test('constructor accepts negative coordinates and sizes', (t) => {
  const b = box([-1, -2, -3], [-4, 0, 5])
  t.deepEqual(b.topLeft, [-1, -2, -3])
  t.deepEqual(b.size, [-4, 0, 5])
})

const invalidVecs: [string, unknown][] = [
  ['two numbers', [1, 2]],
  ['four numbers', [1, 2, 3, 4]],
  ['a fraction', [1, 2.5, 3]],
  ['NaN', [1, Number.NaN, 3]],
  ['Infinity', [1, 2, Number.POSITIVE_INFINITY]],
  ['a string', [1, '2', 3]],
  ['a number', 5],
  ['undefined', undefined],
]

for (const [label, value] of invalidVecs) {
  test(`constructor rejects ${label} as topLeft and as size`, (t) => {
    const e1 = t.throws(() => new BoundingBox(value as Vec3, [1, 1, 1]), { message: /^topLeft must be three integers/ })
    t.is(code(e1), 'ERR_WK_INVALID_ARGUMENT')
    const e2 = t.throws(() => new BoundingBox([0, 0, 0], value as Vec3), { message: /^size must be three integers/ })
    t.is(code(e2), 'ERR_WK_INVALID_ARGUMENT')
  })
}

test('fromWkw and toWkw', (t) => {
  const json = { topLeft: [1, 2, 3] as [number, number, number], width: 4, height: 5, depth: 6 }
  const b = BoundingBox.fromWkw(json)
  t.true(b.equals(box([1, 2, 3], [4, 5, 6])))
  const out = b.toWkw()
  t.deepEqual(out, json)
  t.not(out, b.toWkw())
  t.not(out.topLeft, b.topLeft)
  t.false(Object.isFrozen(out.topLeft))
})

test('fromWkw rejects bad input', (t) => {
  const bad = [null, { topLeft: [0, 0], width: 1, height: 1, depth: 1 }, { topLeft: [0, 0, 0], width: 1, height: 1 }]
  for (const json of bad) {
    t.is(code(t.throws(() => BoundingBox.fromWkw(json as never))), 'ERR_WK_INVALID_ARGUMENT')
  }
})

test('fromPoints', (t) => {
  const b = BoundingBox.fromPoints([
    [1, 2, 3],
    [4, 0, 9],
  ])
  t.deepEqual([b.topLeft, b.size], [[1, 0, 3], [4, 3, 7]])
})

test('fromPoints takes any iterable; one point is one voxel', (t) => {
  function* points(): Generator<Vec3> {
    yield [-5, 5, 0]
  }
  t.true(BoundingBox.fromPoints(points()).equals(box([-5, 5, 0], [1, 1, 1])))
})

test('fromPoints rejects no points and bad points', (t) => {
  t.is(code(t.throws(() => BoundingBox.fromPoints([]))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => BoundingBox.fromPoints([[1, 2, 3], [1, 2] as never]))), 'ERR_WK_INVALID_ARGUMENT')
})

test('fromMagToMag1', (t) => {
  const b = box([1, 1, 1], [5, 5, 5]).fromMagToMag1(new Mag(2))
  t.deepEqual([b.topLeft, b.size], [[2, 2, 2], [10, 10, 10]])
  const c = box([1, 1, 1], [5, 5, 5]).fromMagToMag1('4-2-1')
  t.deepEqual([c.topLeft, c.size], [[4, 2, 1], [20, 10, 5]])
})

test('inMag and fromMagToMag1 are inverse on aligned boxes', (t) => {
  const b = box([8, 16, -8], [24, 8, 40])
  t.true(b.inMag('8-4-2').fromMagToMag1('8-4-2').equals(b))
})

test('intersectedWith', (t) => {
  const b = box([0, 0, 0], [10, 10, 10]).intersectedWith(box([5, -5, 2], [10, 10, 3]))
  t.deepEqual([b.topLeft, b.size], [[5, 0, 2], [5, 5, 3]])
})

test('intersectedWith disjoint boxes gives an empty box', (t) => {
  const b = box([0, 0, 0], [2, 2, 2]).intersectedWith(box([5, 1, 1], [3, 3, 3]))
  t.deepEqual([b.topLeft, b.size], [[5, 1, 1], [0, 1, 1]])
  t.true(b.isEmpty())
  t.is(b.volume(), 0)
})

test('intersectedWith touching boxes is empty', (t) => {
  t.true(box([0, 0, 0], [2, 2, 2]).intersectedWith(box([2, 0, 0], [2, 2, 2])).isEmpty())
})

test('extendedBy', (t) => {
  const b = box([0, 0, 0], [2, 2, 2]).extendedBy(box([5, -1, 1], [1, 1, 1]))
  t.deepEqual([b.topLeft, b.size], [[0, -1, 0], [6, 3, 2]])
})

test('extendedBy: an empty box still counts as its topLeft', (t) => {
  const b = box([0, 0, 0], [0, 0, 0]).extendedBy(box([5, 5, 5], [1, 1, 1]))
  t.deepEqual([b.topLeft, b.size], [[0, 0, 0], [6, 6, 6]])
})

test('isEmpty and volume', (t) => {
  t.false(box([0, 0, 0], [1, 2, 3]).isEmpty())
  t.is(box([0, 0, 0], [1, 2, 3]).volume(), 6)
  t.true(box([0, 0, 0], [1, 0, 3]).isEmpty())
  t.true(box([0, 0, 0], [1, 2, -3]).isEmpty())
  t.is(box([5, 5, 5], [0, 0, 0]).volume(), 0)
})

test('contains', (t) => {
  const b = box([1, 2, 3], [2, 2, 2])
  t.true(b.contains([1, 2, 3]))
  t.true(b.contains([2, 3, 4]))
  t.false(b.contains([3, 3, 4]))
  t.false(b.contains([2, 4, 4]))
  t.false(b.contains([2, 3, 5]))
  t.false(b.contains([0, 2, 3]))
  t.false(box([0, 0, 0], [0, 0, 0]).contains([0, 0, 0]))
  t.is(code(t.throws(() => b.contains([1, 2] as never))), 'ERR_WK_INVALID_ARGUMENT')
})

test('containsBbox', (t) => {
  const outer = box([0, 0, 0], [10, 10, 10])
  t.true(outer.containsBbox(box([0, 0, 0], [10, 10, 10])))
  t.true(outer.containsBbox(box([2, 3, 4], [5, 5, 5])))
  t.false(outer.containsBbox(box([2, 3, 4], [5, 5, 7])))
  t.false(outer.containsBbox(box([-1, 0, 0], [2, 2, 2])))
  t.false(outer.containsBbox(box([20, 20, 20], [1, 1, 1])))
})

test('containsBbox counts a box with a zero size as contained anywhere (kept from the reference)', (t) => {
  t.true(box([0, 0, 0], [2, 2, 2]).containsBbox(box([3, 3, 3], [0, 0, 0])))
})

test('paddedWithMargins', (t) => {
  const b = box([10, 10, 10], [5, 5, 5])
  const same = b.paddedWithMargins([1, 2, 3])
  t.deepEqual([same.topLeft, same.size], [[9, 8, 7], [7, 9, 11]])
  const both = b.paddedWithMargins([1, 2, 3], [4, 0, 1])
  t.deepEqual([both.topLeft, both.size], [[9, 8, 7], [10, 7, 9]])
})

test('offset', (t) => {
  const b = box([1, 2, 3], [4, 5, 6]).offset([-1, 10, 0])
  t.deepEqual([b.topLeft, b.size], [[0, 12, 3], [4, 5, 6]])
})

test('equals', (t) => {
  t.true(box([1, 2, 3], [4, 5, 6]).equals(box([1, 2, 3], [4, 5, 6])))
  t.false(box([1, 2, 3], [4, 5, 6]).equals(box([1, 2, 3], [4, 5, 7])))
  t.false(box([1, 2, 3], [4, 5, 6]).equals(box([0, 2, 3], [4, 5, 6])))
  t.false(box([1, 2, 3], [4, 5, 6]).equals({ topLeft: [1, 2, 3], size: [4, 5, 6] } as never))
})

test('no -0 sneaks into coordinates', (t) => {
  const b = box([-3, -3, -3], [10, 10, 10]).alignWithMag(4)
  t.true(Object.is(b.topLeft[0], 0))
})

/** Checks that `chunks` are non-empty, disjoint and cover `b` exactly. */
function assertCovers(t: import('ava').ExecutionContext, b: BoundingBox, chunks: BoundingBox[]) {
  t.true(chunks.every((c) => !c.isEmpty()))
  t.true(chunks.every((c) => b.containsBbox(c)))
  t.is(
    chunks.reduce((sum, c) => sum + c.volume(), 0),
    b.volume(),
  )
  const union = chunks.reduce((u, c) => u.extendedBy(c))
  t.true(union.equals(b))
  // Equal volumes and containment mean disjointness only if no two chunks overlap; check that too.
  for (let i = 0; i < chunks.length; i++) {
    for (let j = i + 1; j < chunks.length; j++) t.true(chunks[i].intersectedWith(chunks[j]).isEmpty())
  }
}

test('chunk with alignment', (t) => {
  const b = box([10, 10, 10], [150, 150, 54])
  const chunks = [...b.chunk([64, 64, 64], [64, 64, 64])]
  t.is(chunks.length, 9)
  const expected = [
    [10, 64],
    [64, 128],
    [128, 160],
  ]
  t.deepEqual(ranges(chunks, 0), expected)
  t.deepEqual(ranges(chunks, 1), expected)
  t.deepEqual(ranges(chunks, 2), [[10, 64]])
  assertCovers(t, b, chunks)
})

test('chunk runs x outermost, z innermost', (t) => {
  const chunks = [...box([0, 0, 0], [2, 2, 2]).chunk([1, 1, 1])]
  t.deepEqual(
    chunks.map((c) => c.topLeft),
    [
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [0, 1, 1],
      [1, 0, 0],
      [1, 0, 1],
      [1, 1, 0],
      [1, 1, 1],
    ],
  )
})

test('chunk without alignment starts at topLeft', (t) => {
  const b = box([10, 0, 0], [100, 1, 1])
  const chunks = [...b.chunk([64, 64, 64])]
  t.deepEqual(ranges(chunks, 0), [
    [10, 74],
    [74, 110],
  ])
  assertCovers(t, b, chunks)
})

test('chunk with a smaller alignment', (t) => {
  const b = box([10, 0, 0], [100, 1, 1])
  const chunks = [...b.chunk([64, 64, 64], [32, 32, 32])]
  t.deepEqual(ranges(chunks, 0), [
    [10, 64],
    [64, 110],
  ])
  assertCovers(t, b, chunks)
})

test('chunk aligns negative coordinates with a true modulo', (t) => {
  const b = box([-70, -5, 3], [100, 20, 30])
  const chunks = [...b.chunk([32, 16, 8], [32, 8, 4])]
  t.deepEqual(ranges(chunks, 0), [
    [-70, -64],
    [-64, -32],
    [-32, 0],
    [0, 30],
  ])
  // y starts at -8 (the multiple of 8 below -5) and steps by 16, so the border is at 8.
  t.deepEqual(ranges(chunks, 1), [
    [-5, 8],
    [8, 15],
  ])
  assertCovers(t, b, chunks)
})

test('chunk covers boxes of many shapes exactly', (t) => {
  const cases: [Vec3, Vec3, Vec3, Vec3 | undefined][] = [
    [[0, 0, 0], [100, 100, 100], [32, 32, 32], undefined],
    [[3, -7, 11], [45, 13, 70], [16, 8, 32], [8, 4, 16]],
    [[-33, 1, 0], [1, 1, 1], [32, 32, 32], [32, 32, 32]],
    [[5, 5, 5], [64, 64, 64], [64, 64, 64], [64, 64, 64]],
    [[0, 0, 0], [7, 9, 11], [3, 4, 5], undefined],
  ]
  for (const [topLeft, size, chunkSize, alignment] of cases) {
    const b = box(topLeft, size)
    assertCovers(t, b, [...b.chunk(chunkSize, alignment)])
  }
})

test('chunk of an empty box yields nothing', (t) => {
  t.deepEqual([...box([0, 0, 0], [10, 0, 10]).chunk([4, 4, 4])], [])
  t.deepEqual([...box([4, 4, 4], [-4, -4, -4]).chunk([4, 4, 4])], [])
})

test('chunk rejects an alignment that does not divide chunkSize, at the call', (t) => {
  const b = box([0, 0, 0], [100, 100, 100])
  const error = t.throws(() => b.chunk([64, 64, 64], [64, 48, 64]), { message: /multiple of alignment/ })
  t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
})

test('chunk rejects non-positive chunk sizes and alignments', (t) => {
  const b = box([0, 0, 0], [100, 100, 100])
  t.is(code(t.throws(() => b.chunk([64, 0, 64]))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => b.chunk([64, 64, 64], [0, 64, 64]))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => b.chunk([64, 64.5, 64]))), 'ERR_WK_INVALID_ARGUMENT')
})

test('chunk returns a generator', (t) => {
  const gen = box([0, 0, 0], [4, 4, 4]).chunk([2, 2, 2])
  t.is(typeof gen.next, 'function')
  t.is(typeof gen[Symbol.iterator], 'function')
  const first = gen.next()
  t.false(first.done)
  t.true((first.value as BoundingBox).equals(box([0, 0, 0], [2, 2, 2])))
})

test('operations that take a box reject other values', (t) => {
  const b = box([0, 0, 0], [1, 1, 1])
  const fake = { topLeft: [0, 0, 0], size: [1, 1, 1] } as never
  t.is(code(t.throws(() => b.intersectedWith(fake))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => b.extendedBy(fake))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => b.containsBbox(fake))), 'ERR_WK_INVALID_ARGUMENT')
})

test('mag arguments are validated', (t) => {
  const b = box([0, 0, 0], [8, 8, 8])
  t.is(code(t.throws(() => b.alignWithMag(3))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => b.inMag('2-2'))), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => b.fromMagToMag1(0))), 'ERR_WK_INVALID_ARGUMENT')
})
