import test from 'ava'
import { WebknossosError } from '../lib/errors'
import { Mag, type MagLike, toMag } from '../lib/geometry/mag'

const code = (e: unknown) => (e as WebknossosError).code

// Ported from the Python reference, tests/test_mag.py.

test('a number gives an isotropic mag', (t) => {
  t.deepEqual(new Mag(16).toArray(), [16, 16, 16])
})

test('a number string gives an isotropic mag', (t) => {
  t.deepEqual(new Mag('256').toArray(), [256, 256, 256])
})

test('an "x-y-z" string is split on "-"', (t) => {
  t.deepEqual(new Mag('16-2-4').toArray(), [16, 2, 4])
})

test('comparison orders 16-2-4 after 8-2-4', (t) => {
  t.true(Mag.compare(new Mag('16-2-4'), new Mag('8-2-4')) > 0)
  t.true(Mag.compare(new Mag('8-2-4'), new Mag('16-2-4')) < 0)
})

test('layer name of an anisotropic mag', (t) => {
  t.is(new Mag('16-2-4').toLayerName(), '16-2-4')
})

test('a mag equals a copy of itself and its array', (t) => {
  const mag = new Mag('16-2-4')
  t.true(mag.equals(new Mag(mag)))
  t.true(mag.equals(mag.toArray()))
})

// Beyond the reference tests.

test('accepts every MagLike form', (t) => {
  t.deepEqual(new Mag([2, 2, 1]).toArray(), [2, 2, 1])
  t.deepEqual(new Mag([2, 2, 1] as const).toArray(), [2, 2, 1])
  t.deepEqual(new Mag(new Mag('2-2-1')).toArray(), [2, 2, 1])
  t.deepEqual(new Mag(1).toArray(), [1, 1, 1])
  t.deepEqual(new Mag('1').toArray(), [1, 1, 1])
})

test('leading zeros are fine', (t) => {
  t.deepEqual(new Mag('02').toArray(), [2, 2, 2])
  t.deepEqual(new Mag('04-02-001').toArray(), [4, 2, 1])
})

test('x, y and z', (t) => {
  const mag = new Mag('4-2-1')
  t.is(mag.x, 4)
  t.is(mag.y, 2)
  t.is(mag.z, 1)
})

test('toArray returns a new array each call', (t) => {
  const mag = new Mag(2)
  const a = mag.toArray()
  t.not(a, mag.toArray())
  a[0] = 8
  t.deepEqual(mag.toArray(), [2, 2, 2])
})

test('layer names', (t) => {
  t.is(new Mag(2).toLayerName(), '2')
  t.is(new Mag([2, 2, 2]).toLayerName(), '2')
  t.is(new Mag('2-2-1').toLayerName(), '2-2-1')
  t.is(new Mag(2).toLongLayerName(), '2-2-2')
  t.is(new Mag('2-2-1').toLongLayerName(), '2-2-1')
})

test('toString is the layer name', (t) => {
  t.is(String(new Mag(8)), '8')
  t.is(`${new Mag('1-2-4')}`, '1-2-4')
})

test('maxDim is the largest component', (t) => {
  t.is(new Mag('1-8-2').maxDim, 8)
  t.is(new Mag(4).maxDim, 4)
})

test('isIsotropic', (t) => {
  t.true(new Mag(4).isIsotropic)
  t.true(new Mag([4, 4, 4]).isIsotropic)
  t.false(new Mag('4-4-2').isIsotropic)
})

test('equals accepts any MagLike', (t) => {
  const mag = new Mag(2)
  t.true(mag.equals(2))
  t.true(mag.equals('2'))
  t.true(mag.equals('2-2-2'))
  t.true(mag.equals([2, 2, 2]))
  t.false(mag.equals(4))
  t.false(mag.equals('2-2-1'))
})

test('sorting with Mag.compare', (t) => {
  const mags = [new Mag(4), new Mag('2-2-1'), new Mag(2), new Mag('1-1-2'), new Mag(1)].sort(Mag.compare)
  t.deepEqual(
    mags.map((m) => m.toLayerName()),
    ['1', '1-1-2', '2-2-1', '2', '4'],
  )
})

test('compare is 0 for equal mags and accepts MagLikes', (t) => {
  t.is(Mag.compare(new Mag(2), '2-2-2'), 0)
  t.true(Mag.compare(1, [1, 1, 2]) < 0)
  t.true(Mag.compare('1-2-1', '1-1-2') > 0)
})

test('scaledBy and dividedBy', (t) => {
  t.deepEqual(new Mag('2-2-1').scaledBy(2).toArray(), [4, 4, 2])
  t.deepEqual(new Mag('4-4-2').dividedBy(2).toArray(), [2, 2, 1])
  const error = t.throws(() => new Mag('2-2-1').dividedBy(2))
  t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
  t.is(code(t.throws(() => new Mag(2).scaledBy(3))), 'ERR_WK_INVALID_ARGUMENT')
})

test('divide is component-wise and may be fractional', (t) => {
  t.deepEqual(new Mag('4-4-2').divide(new Mag('2-2-2')), [2, 2, 1])
  t.deepEqual(new Mag('1-2-4').divide(new Mag(2)), [0.5, 1, 2])
})

test('vec returns the components', (t) => {
  t.deepEqual(new Mag('1-2-4').vec(), [1, 2, 4])
})

test('is frozen', (t) => {
  const mag = new Mag(2)
  t.true(Object.isFrozen(mag))
  t.throws(() => {
    ;(mag as { x: number }).x = 4
  })
  t.is(mag.x, 2)
})

test('toMag returns a Mag as is and converts the rest', (t) => {
  const mag = new Mag(2)
  t.is(toMag(mag), mag)
  t.true(toMag('2-2-1') instanceof Mag)
  t.deepEqual(toMag([1, 2, 4]).toArray(), [1, 2, 4])
  t.is(code(t.throws(() => toMag(3))), 'ERR_WK_INVALID_ARGUMENT')
})

const invalid: [string, unknown, RegExp][] = [
  ['the string "2-2"', '2-2', /^Invalid mag "2-2": expected a power of two, "x-y-z" or \[x, y, z\]$/],
  ['the string "2-2-2-2"', '2-2-2-2', /"2-2-2-2"/],
  ['an empty string', '', /Invalid mag ""/],
  ['the string "a"', 'a', /"a"/],
  ['a string with a sign', '-2', /"-2"/],
  ['a string with spaces', ' 2', /" 2"/],
  ['a string with a decimal point', '2.0', /"2.0"/],
  ['the number 0', 0, /Invalid mag 0/],
  ['the number -2', -2, /Invalid mag -2/],
  ['the number 1.5', 1.5, /Invalid mag 1.5/],
  ['NaN', Number.NaN, /Invalid mag NaN/],
  ['Infinity', Number.POSITIVE_INFINITY, /Invalid mag Infinity/],
  ['an array of length 2', [2, 2], /Invalid mag \[2, 2\]/],
  ['an array of length 4', [2, 2, 2, 2], /Invalid mag \[2, 2, 2, 2\]/],
  ['an array of strings', ['2', '2', '2'], /Invalid mag/],
  ['null', null, /Invalid mag null/],
  ['undefined', undefined, /Invalid mag undefined/],
  ['an object', { x: 2, y: 2, z: 2 }, /Invalid mag/],
  ['a bigint', 2n, /Invalid mag 2/],
  ['the number 3', 3, /^Mag 3-3-3 is invalid: every component must be a power of two$/],
  ['the string "3"', '3', /Mag 3-3-3 is invalid/],
  ['the string "0"', '0', /Mag 0-0-0 is invalid/],
  ['the string "2-3-4"', '2-3-4', /Mag 2-3-4 is invalid/],
  ['a component 0', [0, 1, 1], /Mag 0-1-1 is invalid/],
  ['a component -2', [2, -2, 2], /Mag 2--2-2 is invalid/],
  ['a component 1.5', [1, 1, 1.5], /Mag 1-1-1.5 is invalid/],
  ['a component 6', [2, 6, 2], /Mag 2-6-2 is invalid/],
  ['a component NaN', [2, Number.NaN, 2], /Mag 2-NaN-2 is invalid/],
  ['a power of two beyond safe integers', 2 ** 60, /Mag/],
]

for (const [label, value, message] of invalid) {
  test(`rejects ${label}`, (t) => {
    const error = t.throws(() => new Mag(value as MagLike), { instanceOf: WebknossosError, message })
    t.is(code(error), 'ERR_WK_INVALID_ARGUMENT')
  })
}
