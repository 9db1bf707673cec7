// Dataset, Layer and SegmentationLayer tests ported from the Python reference's
// webknossos/tests/test_dataset.py (see shared/reference/python-reference-behaviour.md §7.1). Each
// test names its Python original. View/MagView tests are in view.spec.ts, JSON forms in
// properties.spec.ts.
import test from 'ava'
import { existsSync, lstatSync, readlinkSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { BoundingBox, Dataset, type Layer, Mag, SegmentationLayer } from '../index'
import { formatTest, holdsArray, inFormat, magEntriesOf } from './helpers/formats'
import { fixturesDir, haveFixtures, skipReason, tempDir } from './helpers/paths'
import { assertVoxels, code, copyFixture, random3d, randomVoxels, readJson, slice } from './helpers/voxels'

const fixtureTest = haveFixtures ? test : (skipReason(`the shared fixtures are missing (${fixturesDir})`), test.skip)

formatTest('test_create_dataset_with_layer_and_mag', async (t, format) => {
  const path = join(tempDir(t), 'wk_dataset')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  const layer = await ds.addLayer('color', 'color')
  await layer.addMag('1')
  await layer.addMag('2-2-1')
  t.true(existsSync(join(path, 'color', '1')))
  t.true(existsSync(join(path, 'color', '2-2-1')))
  t.is(ds.layers.size, 1)
  t.is(ds.getLayer('color').mags.size, 2)
})

test('test_create_dataset_with_explicit_header_fields', async (t) => {
  const path = join(tempDir(t), 'wk_dataset_advanced')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const layer = await ds.addLayer('color', 'color', { dtypePerLayer: 'uint48', numChannels: 3 })
  await layer.addMag('1', { blockLen: 64, fileLen: 64 })
  await layer.addMag('2-2-1')

  t.is(layer.dtypePerChannel, 'uint16')
  t.is(layer.dtypePerLayer, 'uint48')
  const json = readJson(path)
  t.is(json.dataLayers[0].elementClass, 'uint48')
  const mag1 = layer.getMag('1').header
  t.is(mag1.blockLen, 64)
  t.is(mag1.fileLen, 64)
  t.is(mag1.numChannels, 3)
  t.is(mag1.voxelType, 'uint16')
  t.is(json.dataLayers[0].wkwResolutions[0].cubeLength, 64 * 64)
  const mag221 = layer.getMag('2-2-1').header
  t.is(mag221.blockLen, 32)
  t.is(mag221.fileLen, 32)
  t.is(json.dataLayers[0].wkwResolutions[1].cubeLength, 32 * 32)
})

fixtureTest('test_open_dataset', async (t) => {
  const ds = await Dataset.open(join(fixturesDir, 'simple_wk_dataset'))
  t.is(ds.layers.size, 1)
  t.is(ds.getLayer('color').mags.size, 1)
})

formatTest('test_modify_existing_dataset', async (t, format) => {
  const path = join(tempDir(t), 'simple_wk_dataset')
  const ds1 = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  await ds1.addLayer('color', 'color', { dtypePerLayer: 'float', numChannels: 1 })

  const ds2 = await Dataset.open(path)
  t.is(ds2.getLayer('color').dtypePerChannel, 'float32')
  await ds2.addLayer('segmentation', 'segmentation', { dtypePerLayer: 'uint8', largestSegmentId: 100000 })
  t.true(existsSync(join(path, 'segmentation')))
  t.deepEqual(
    readJson(path).dataLayers.map((l: { name: string }) => l.name),
    ['color', 'segmentation'],
  )
})

formatTest('test_get_or_add_layer', async (t, format) => {
  const ds = inFormat(await Dataset.create(join(tempDir(t), 'wk_dataset'), { scale: [1, 1, 1] }), format)
  t.false(ds.layers.has('color'))
  const layer = await ds.getOrAddLayer('color', 'color', { dtypePerLayer: 'uint8', numChannels: 1 })
  t.true(ds.layers.has('color'))
  t.is(layer.name, 'color')

  const again = await ds.getOrAddLayer('color', 'color', { dtypePerLayer: 'uint8', numChannels: 1 })
  t.is(again, layer)
  t.is(again.name, 'color')

  const e = await t.throwsAsync(ds.getOrAddLayer('color', 'color', { dtypePerLayer: 'uint16', numChannels: 1 }))
  t.is(code(e), 'ERR_WK_MISMATCH')
})

formatTest('test_get_or_add_layer_idempotence', async (t, format) => {
  const ds = inFormat(await Dataset.create(join(tempDir(t), 'wk_dataset'), { scale: [1, 1, 1] }), format)
  await (await ds.getOrAddLayer('color2', 'color', { dtypePerLayer: 'uint8' })).getOrAddMag('1')
  await (await ds.getOrAddLayer('color2', 'color', { dtypePerLayer: 'uint8' })).getOrAddMag('1')
  t.is(ds.layers.size, 1)
  t.deepEqual([...ds.getLayer('color2').mags.keys()], ['1'])
})

formatTest('test_get_or_add_mag', async (t, format) => {
  const ds = inFormat(await Dataset.create(join(tempDir(t), 'wk_dataset'), { scale: [1, 1, 1] }), format)
  const layer = await ds.addLayer('color', 'color')
  t.false(layer.mags.has(new Mag(1).toLayerName()))
  const mag = await layer.getOrAddMag('1', { blockLen: 32, fileLen: 32, compress: false })
  t.true(layer.mags.has('1'))
  t.is(mag.name, '1')

  const again = await layer.getOrAddMag('1', { blockLen: 32, fileLen: 32, compress: false })
  t.is(again, mag)
  t.is(again.name, '1')

  const e = await t.throwsAsync(layer.getOrAddMag('1', { blockLen: 64, fileLen: 32, compress: false }))
  t.is(code(e), 'ERR_WK_MISMATCH')
})

formatTest('test_largest_segment_id_requirement', async (t, format) => {
  const path = join(tempDir(t), 'wk_dataset')
  const ds = inFormat(await Dataset.create(path, { scale: [10, 10, 10] }), format)
  const e = await t.throwsAsync(ds.addLayer('segmentation', 'segmentation'))
  t.is(code(e), 'ERR_WK_INVALID_ARGUMENT')
  t.false(existsSync(join(path, 'segmentation')), 'nothing is written for an invalid layer')

  const largestSegmentId = 10
  const layer = await ds.addLayer('segmentation', 'segmentation', { largestSegmentId })
  await layer.addMag(new Mag(1))

  const reopened = await Dataset.open(path)
  t.is((reopened.getLayer('segmentation') as SegmentationLayer).largestSegmentId, largestSegmentId)
})

fixtureTest('test_typing_of_get_mag', async (t) => {
  const ds = await Dataset.open(join(fixturesDir, 'simple_wk_dataset'))
  const layer = ds.getLayer('color')
  const mag = layer.getMag('1')
  t.is(layer.getMag(1), mag)
  t.is(layer.getMag([1, 1, 1]), mag)
  t.is(layer.getMag([1, 1, 1] as const), mag)
  t.is(layer.getMag('1-1-1'), mag)
  t.is(layer.getMag(new Mag(1)), mag)
})

formatTest('test_dataset_get_or_create', async (t, format) => {
  const path = join(tempDir(t), 'wk_dataset_get_or_create')

  // The dataset does not exist yet.
  const ds1 = inFormat(await Dataset.getOrCreate(path, { scale: [1, 1, 1] }), format)
  t.false(ds1.layers.has('color'))
  await ds1.addLayer('color', 'color')
  t.true(ds1.layers.has('color'))

  // The dataset exists now.
  const ds2 = inFormat(await Dataset.getOrCreate(path, { scale: [1, 1, 1] }), format)
  t.true(ds2.layers.has('color'))

  // The name is the directory name.
  const ds3 = inFormat(await Dataset.getOrCreate(path, { scale: [1, 1, 1], name: 'wk_dataset_get_or_create' }), format)
  t.true(ds3.layers.has('color'))

  const e1 = await t.throwsAsync(Dataset.getOrCreate(path, { scale: [2, 2, 2] }))
  t.is(code(e1), 'ERR_WK_MISMATCH')
  const e2 = await t.throwsAsync(Dataset.getOrCreate(path, { scale: [1, 1, 1], name: 'some different name' }))
  t.is(code(e2), 'ERR_WK_MISMATCH')
})

fixtureTest('test_changing_layer_bounding_box', async (t) => {
  const path = copyFixture(t, 'simple_wk_dataset', 'test_changing_layer_bounding_box')
  const ds = await Dataset.open(path)
  const layer = ds.getLayer('color')
  const mag = layer.getMag('1')

  // The fixture holds only zeros: write real data over the whole box first (the box stays 24³).
  await mag.write(randomVoxels('uint8', [3, 24, 24, 24], 29))

  const bboxSize = layer.boundingBox.size
  t.deepEqual([...bboxSize], [24, 24, 24])
  const original = await mag.read({ size: bboxSize })
  t.deepEqual(original.shape, [3, 24, 24, 24])

  // Decrease the bounding box.
  await layer.setBoundingBox(new BoundingBox([0, 0, 0], [12, 12, 10]))
  t.deepEqual([...layer.boundingBox.size], [12, 12, 10])
  const less = await mag.read({ size: layer.boundingBox.size })
  assertVoxels(t, less, slice(original, [0, 0, 0], [12, 12, 10]))

  // Increase the bounding box.
  await layer.setBoundingBox(new BoundingBox([0, 0, 0], [36, 48, 60]))
  t.deepEqual([...layer.boundingBox.size], [36, 48, 60])
  const more = await mag.read({ size: layer.boundingBox.size })
  t.deepEqual(more.shape, [3, 36, 48, 60])
  assertVoxels(t, slice(more, [0, 0, 0], [24, 24, 24]), original)
  t.deepEqual([...layer.boundingBox.topLeft], [0, 0, 0])

  // Move the offset.
  await layer.setBoundingBox(new BoundingBox([10, 10, 0], [14, 14, 24]))
  t.deepEqual([...layer.boundingBox.topLeft], [10, 10, 0])
  t.deepEqual([...layer.boundingBox.size], [14, 14, 24])
  // read() without arguments reads from the origin to the bottom right of the box.
  assertVoxels(t, await mag.read(), original)
  assertVoxels(t, await mag.read({ offset: [10, 10, 0], size: [14, 14, 24] }), slice(original, [10, 10, 0], [14, 14, 24]))

  // Shrink the box so that it no longer reaches the end of the data.
  await layer.setBoundingBox(new BoundingBox([0, 0, 0], [14, 14, 24]))
  const shrunk = await mag.read()
  t.deepEqual(shrunk.shape, [3, 14, 14, 24])
  assertVoxels(t, shrunk, slice(original, [0, 0, 0], [14, 14, 24]))

  // The box is saved.
  t.deepEqual(readJson(path).dataLayers[0].boundingBox, { topLeft: [0, 0, 0], width: 14, height: 14, depth: 24 })
})

formatTest('test_adding_layer_with_invalid_dtype_per_layer', async (t, format) => {
  const path = join(tempDir(t), 'wk_dataset')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  // uint30 cannot be split into 3 channels.
  const e1 = await t.throwsAsync(ds.addLayer('color1', 'color', { dtypePerLayer: 'uint30', numChannels: 3 }))
  t.is(code(e1), 'ERR_WK_INVALID_ARGUMENT')
  // "int" is int64, which cannot be split into 3 channels.
  const e2 = await t.throwsAsync(ds.addLayer('color2', 'color', { dtypePerLayer: 'int', numChannels: 3 }))
  t.is(code(e2), 'ERR_WK_INVALID_ARGUMENT')
  t.false(existsSync(join(path, 'color1')))
  t.false(existsSync(join(path, 'color2')))
  t.is(ds.layers.size, 0)

  // "int" (int64) split into 4 channels is int16.
  const layer = await ds.addLayer('color3', 'color', { dtypePerLayer: 'int', numChannels: 4 })
  t.is(layer.dtypePerChannel, 'int16')
})

formatTest('test_adding_layer_with_valid_dtype_per_layer', async (t, format) => {
  const path = join(tempDir(t), 'wk_dataset')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  await ds.addLayer('color1', 'color', { dtypePerLayer: 'uint24', numChannels: 3 })
  await ds.addLayer('color2', 'color', { dtypePerLayer: 'uint8', numChannels: 1 })
  await ds.addLayer('color3', 'color', { dtypePerChannel: 'uint8', numChannels: 3 })
  await ds.addLayer('color4', 'color', { dtypePerChannel: 'uint8', numChannels: 3 })
  await ds.addLayer('seg1', 'segmentation', { dtypePerChannel: 'float', numChannels: 1, largestSegmentId: 100000 })
  // seg2 and seg3 were given Python's `float` type, which is float32 in add_layer.
  await ds.addLayer('seg2', 'segmentation', { dtypePerChannel: 'float32', numChannels: 1, largestSegmentId: 100000 })
  await ds.addLayer('seg3', 'segmentation', { dtypePerChannel: 'float32', numChannels: 1, largestSegmentId: 100000 })
  await ds.addLayer('seg4', 'segmentation', { dtypePerChannel: 'double', numChannels: 1, largestSegmentId: 100000 })
  await ds.addLayer('seg5', 'segmentation', { dtypePerChannel: 'float', numChannels: 3, largestSegmentId: 100000 })

  const json = readJson(path)
  t.deepEqual(
    json.dataLayers.map((l: { elementClass: string }) => l.elementClass),
    ['uint24', 'uint8', 'uint24', 'uint24', 'float', 'float', 'float', 'double', 'float96'],
  )

  const reopened = await Dataset.open(path)
  t.deepEqual(
    [...reopened.layers.values()].map((l) => l.dtypePerLayer),
    ['uint24', 'uint8', 'uint24', 'uint24', 'float32', 'float32', 'float32', 'float64', 'float96'],
  )
  t.deepEqual(
    [...reopened.layers.values()].map((l) => l.dtypePerChannel),
    ['uint8', 'uint8', 'uint8', 'uint8', 'float32', 'float32', 'float32', 'float64', 'float32'],
  )
})

fixtureTest('test_add_symlink_layer', async (t) => {
  const original = copyFixture(t, 'simple_wk_dataset', 'simple_wk_dataset_copy')
  // An additional segmentation layer in the original dataset.
  await (await Dataset.open(original)).addLayer('segmentation', 'segmentation', { largestSegmentId: 999 })
  const originalMag = (await Dataset.open(original)).getLayer('color').getMag('1')

  const path = join(tempDir(t), 'wk_dataset_with_symlink')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const symlinkLayer = await ds.addSymlinkLayer(join(original, 'color'))
  const symlinkSegmentationLayer = await ds.addSymlinkLayer(join(original, 'segmentation'))
  const mag = symlinkLayer.getMag('1')

  t.true(existsSync(join(path, 'color', '1')))
  t.true(existsSync(join(path, 'segmentation')))
  t.true(lstatSync(join(path, 'color')).isSymbolicLink())

  const json = readJson(path)
  t.is(json.dataLayers.length, 2)
  t.is(json.dataLayers[0].wkwResolutions.length, 1)
  t.is((symlinkSegmentationLayer as SegmentationLayer).largestSegmentId, 999)
  t.true(symlinkSegmentationLayer instanceof SegmentationLayer)

  // Data written through the link lands in the original.
  const writeData = randomVoxels('uint8', [3, 10, 10, 10], 37)
  await mag.write(writeData)
  assertVoxels(t, await mag.read({ size: [10, 10, 10] }), writeData)
  assertVoxels(t, await originalMag.read({ size: [10, 10, 10] }), writeData)
})

fixtureTest('test_add_symlink_layer (makeRelative: the link resolves)', async (t) => {
  const original = copyFixture(t, 'simple_wk_dataset', 'simple_wk_dataset_copy')
  const path = join(tempDir(t), 'wk_dataset_with_relative_symlink')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const layer = await ds.addSymlinkLayer(join(original, 'color'), { makeRelative: true })
  t.false(readlinkSync(join(path, 'color')).startsWith('/'), 'the link target is relative')
  t.true(existsSync(join(path, 'color', '1', 'header.wkw')))
  const data = randomVoxels('uint8', [3, 4, 5, 6], 38)
  await layer.getMag('1').write(data, { offset: [1, 2, 3] })
  const back = await (await Dataset.open(original)).getLayer('color').getMag('1').read({ offset: [1, 2, 3], size: [4, 5, 6] })
  assertVoxels(t, back, data)
})

// Copies of layers and mags (fs.cp) write sparse raw WKW files out in full, and a raw file of the
// default 32 × 32 blocks is 1 GiB; the copy tests therefore use files of 256³ voxels (16 MiB).
const SMALL_FILES = { fileLen: 8 }

/** The datasets of test_add_symlink_mag and test_add_copy_mag. */
async function foreignMagSetup(root: string, format: import('../index').DataFormat = 'wkw') {
  const originalDs = inFormat(await Dataset.create(join(root, 'original'), { scale: [1, 1, 1] }), format)
  const originalLayer = await originalDs.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  await (await originalLayer.addMag(1, SMALL_FILES)).write(random3d('uint8', [10, 20, 30], 1))
  await (await originalLayer.addMag(2, SMALL_FILES)).write(random3d('uint8', [5, 10, 15], 2))

  const ds = inFormat(await Dataset.create(join(root, 'link'), { scale: [1, 1, 1] }), format)
  const layer = await ds.addLayer('color', 'color', { dtypePerChannel: 'uint8' })
  await (await layer.addMag(1)).write(random3d('uint8', [10, 20, 30], 3), { offset: [6, 6, 6] })
  return { originalLayer, ds, layer }
}

formatTest('test_add_symlink_mag', async (t, format) => {
  const root = tempDir(t)
  const { originalLayer, layer } = await foreignMagSetup(root, format)
  t.deepEqual([...layer.boundingBox.topLeft], [6, 6, 6])
  t.deepEqual([...layer.boundingBox.size], [10, 20, 30])

  const symlinkMag = await layer.addSymlinkMag(join(root, 'original', 'color', '2'))

  t.true(existsSync(join(root, 'link', 'color', '1')))
  t.true(lstatSync(join(root, 'link', 'color', '2')).isSymbolicLink())
  t.is(magEntriesOf(readJson(join(root, 'link')).dataLayers[0]).length, 2)
  t.deepEqual([...layer.boundingBox.topLeft], [0, 0, 0])
  t.deepEqual([...layer.boundingBox.size], [16, 26, 36])

  // Data written through the link lands in the original mag 2.
  const writeData = random3d('uint8', [5, 5, 5], 4)
  await symlinkMag.write(writeData)
  assertVoxels(t, await symlinkMag.read({ size: [5, 5, 5] }), writeData)
  assertVoxels(t, await originalLayer.getMag(2).read({ size: [5, 5, 5] }), writeData)
})

formatTest('test_add_symlink_mag (makeRelative: the link resolves, deliberate difference 4)', async (t, format) => {
  // The reference computed the relative target from the dataset directory, so the link was dangling.
  const root = tempDir(t)
  const { originalLayer, layer } = await foreignMagSetup(root, format)
  const symlinkMag = await layer.addSymlinkMag(join(root, 'original', 'color', '2'), { makeRelative: true })
  const link = join(root, 'link', 'color', '2')
  t.false(readlinkSync(link).startsWith('/'), 'the link target is relative')
  t.true(holdsArray(link), 'the link resolves')
  const reopened = await Dataset.open(join(root, 'link'))
  t.deepEqual([...reopened.getLayer('color').mags.keys()], ['1', '2'])
  const writeData = random3d('uint8', [5, 5, 5], 5)
  await symlinkMag.write(writeData)
  assertVoxels(t, await originalLayer.getMag(2).read({ size: [5, 5, 5] }), writeData)
})

formatTest('test_add_copy_mag', async (t, format) => {
  const root = tempDir(t)
  const { originalLayer, layer } = await foreignMagSetup(root, format)
  t.deepEqual([...layer.boundingBox.topLeft], [6, 6, 6])
  t.deepEqual([...layer.boundingBox.size], [10, 20, 30])
  const originalData = await originalLayer.getMag(2).read({ size: [5, 10, 15] })

  const copyMag = await layer.addCopyMag(join(root, 'original', 'color', '2'))

  t.true(existsSync(join(root, 'link', 'color', '1')))
  t.false(lstatSync(join(root, 'link', 'color', '2')).isSymbolicLink())
  t.is(magEntriesOf(readJson(join(root, 'link')).dataLayers[0]).length, 2)
  t.deepEqual([...layer.boundingBox.topLeft], [0, 0, 0])
  t.deepEqual([...layer.boundingBox.size], [16, 26, 36])
  assertVoxels(t, await copyMag.read({ size: [5, 10, 15] }), originalData)

  // A write into the copy leaves the original unchanged.
  const writeData = random3d('uint8', [5, 5, 5], 6)
  await copyMag.write(writeData)
  assertVoxels(t, await copyMag.read({ size: [5, 5, 5] }), writeData)
  assertVoxels(t, await originalLayer.getMag(2).read({ size: [5, 10, 15] }), originalData)
})

test('test_search_dataset_also_for_long_layer_name', async (t) => {
  const path = join(tempDir(t), 'long_layer_name')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const mag = await (await ds.addLayer('color', 'color')).addMag('2')
  t.is(mag.name, '2')
  const short = join(path, 'color', '2')
  const long = join(path, 'color', '2-2-2')
  t.true(existsSync(short))
  t.false(existsSync(long))

  const writeData = random3d('uint8', [10, 10, 10], 40)
  await mag.write(writeData, { offset: [10, 10, 10] })
  assertVoxels(t, await mag.read({ offset: [10, 10, 10], size: [10, 10, 10] }), writeData)

  // Rename the directory to the long name.
  renameSync(short, long)
  // The old MagView still looks in "2": the read fails (WKWException in the reference).
  const e = await t.throwsAsync(mag.read({ offset: [10, 10, 10], size: [10, 10, 10] }))
  t.truthy(code(e), 'a WebknossosError')

  // A reopened dataset finds "2-2-2".
  const layer = (await Dataset.open(path)).getLayer('color')
  assertVoxels(t, await layer.getMag('2').read({ offset: [10, 10, 10], size: [10, 10, 10] }), writeData)
  await layer.deleteMag('2')
  t.false(existsSync(long))
  t.is(layer.mags.size, 0)
})

test('test_outdated_dtype_parameter', async (t) => {
  const path = join(tempDir(t), 'outdated_dtype')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const e1 = await t.throwsAsync(ds.getOrAddLayer('color', 'color', { dtype: 'uint8', numChannels: 1 } as never))
  t.is(code(e1), 'ERR_WK_INVALID_ARGUMENT')
  const e2 = await t.throwsAsync(ds.addLayer('color', 'color', { dtype: 'uint8', numChannels: 1 } as never))
  t.is(code(e2), 'ERR_WK_INVALID_ARGUMENT')
  t.false(existsSync(join(path, 'color')))
  t.is(ds.layers.size, 0)
})

formatTest('test_dataset_conversion', async (t, format) => {
  const root = tempDir(t)
  const origin = inFormat(await Dataset.create(join(root, 'origin_wk'), { scale: [1, 1, 1] }), format)
  const seg = await origin.addLayer('layer1', 'segmentation', { numChannels: 1, largestSegmentId: 1000000000 })
  await (await seg.addMag('1', { blockLen: 8, fileLen: 16 })).write(random3d('uint8', [128, 128, 256], 1), { offset: [10, 20, 30] })
  await (await seg.addMag('2', { blockLen: 8, fileLen: 16 })).write(random3d('uint8', [64, 64, 128], 2), { offset: [5, 10, 15] })
  const color = await origin.addLayer('layer2', 'color', { numChannels: 3 })
  await (await color.addMag('1', { blockLen: 8, fileLen: 16 })).write(randomVoxels('uint8', [3, 128, 128, 256], 3), { offset: [10, 20, 30] })
  await (await color.addMag('2', { blockLen: 8, fileLen: 16 })).write(randomVoxels('uint8', [3, 64, 64, 128], 4), { offset: [5, 10, 15] })

  const converted = await origin.copyDataset(join(root, 'converted_wk'))

  t.deepEqual([...converted.layers.keys()], [...origin.layers.keys()])
  t.is(converted.name, 'converted_wk')
  for (const [name, layer] of origin.layers) {
    const copy = converted.getLayer(name)
    t.deepEqual([...copy.mags.keys()], [...layer.mags.keys()])
    t.true(copy.boundingBox.equals(layer.boundingBox))
    t.is(copy.category, layer.category)
    for (const [key, mag] of layer.mags) {
      t.deepEqual(copy.getMag(key).info, mag.info)
      assertVoxels(t, await copy.getMag(key).read(), await mag.read(), `${name}/${key}`)
    }
  }
  t.is((converted.getLayer('layer1') as SegmentationLayer).largestSegmentId, 1000000000)
})

test('test_dataset_conversion (per-mag block, file lengths and compression, deliberate difference 5)', async (t) => {
  // The reference made the first mag's settings stick for every later mag; each mag keeps its own here.
  const root = tempDir(t)
  const origin = await Dataset.create(join(root, 'origin_wk'), { scale: [1, 1, 1] })
  const layer = await origin.addLayer('color', 'color')
  await (await layer.addMag('1', { blockLen: 8, fileLen: 4, compress: true })).write(random3d('uint8', [64, 64, 64], 7))
  await (await layer.addMag('2', { blockLen: 16, fileLen: 2 })).write(random3d('uint8', [32, 32, 32], 8))
  const seg = await origin.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 5 })
  await (await seg.addMag('1', { blockLen: 4, fileLen: 8 })).write(random3d('uint32', [32, 32, 32], 9))

  const converted = await origin.copyDataset(join(root, 'converted_wk'))
  const headers = (ds: Dataset) =>
    [...ds.layers.values()].flatMap((l) => [...l.mags.values()].map((m) => [l.name, m.name, m.header.blockLen, m.header.fileLen, m.header.blockType]))
  t.deepEqual(headers(converted), [
    ['color', '1', 8, 4, 'lz4hc'],
    ['color', '2', 16, 2, 'raw'],
    ['segmentation', '1', 4, 8, 'raw'],
  ])
  for (const [name, l] of origin.layers) {
    for (const [key, mag] of l.mags) assertVoxels(t, await converted.getLayer(name).getMag(key).read(), await mag.read(), `${name}/${key}`)
  }
})

formatTest('test_dataset_conversion (layers without mags and layer properties are copied)', async (t, format) => {
  const root = tempDir(t)
  const origin = inFormat(await Dataset.create(join(root, 'origin_wk'), { scale: [2, 2, 1] }), format)
  await origin.addLayer('segmentation', 'segmentation', { largestSegmentId: 4, mappings: ['a.json'] })
  const color = await origin.addLayer('color', 'color')
  await color.setBoundingBox(new BoundingBox([1, 2, 3], [4, 5, 6]))
  await color.setDefaultViewConfiguration({ alpha: 0.5 })

  await origin.copyDataset(join(root, 'converted_wk'), { scale: [4, 4, 2] })
  const json = readJson(join(root, 'converted_wk'))
  t.deepEqual(json.scale, [4, 4, 2])
  t.deepEqual(
    json.dataLayers.map((l: { name: string }) => l.name),
    ['segmentation', 'color'],
  )
  const reopened = await Dataset.open(join(root, 'converted_wk'))
  t.is((reopened.getLayer('segmentation') as SegmentationLayer).largestSegmentId, 4)
  t.deepEqual([...(reopened.getLayer('segmentation') as SegmentationLayer).mappings], ['a.json'])
  t.true(reopened.getLayer('color').boundingBox.equals(new BoundingBox([1, 2, 3], [4, 5, 6])))
  t.deepEqual(reopened.getLayer('color').defaultViewConfiguration, { alpha: 0.5 })
})

formatTest('test_get_largest_segment_id', async (t, format) => {
  const path = join(tempDir(t), 'largest_segment_id')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  const layer = (await ds.addLayer('segmentation', 'segmentation', { largestSegmentId: 999 })) as SegmentationLayer
  t.is(layer.largestSegmentId, 999)
  await layer.setLargestSegmentId(123)
  t.is(layer.largestSegmentId, 123)
  t.is(readJson(path).dataLayers[0].largestSegmentId, 123)
  t.is(((await Dataset.open(path)).getLayer('segmentation') as SegmentationLayer).largestSegmentId, 123)
})

formatTest('test_get_or_add_layer_by_type', async (t, format) => {
  const ds = inFormat(await Dataset.create(join(tempDir(t), 'layer_by_type'), { scale: [1, 1, 1] }), format)
  // No segmentation layer yet (IndexError in the reference).
  t.is(code(t.throws(() => ds.getSegmentationLayer())), 'ERR_WK_NOT_FOUND')
  const segmentationLayer = await ds.addLayer('segmentation', 'segmentation', { largestSegmentId: 999 })
  t.is<Layer, Layer>(ds.getSegmentationLayer(), segmentationLayer)
  await ds.addLayer('different_segmentation', 'segmentation', { largestSegmentId: 999 })
  // Two segmentation layers (IndexError in the reference).
  t.is(code(t.throws(() => ds.getSegmentationLayer())), 'ERR_WK_INVALID_ARGUMENT')

  t.is(code(t.throws(() => ds.getColorLayer())), 'ERR_WK_NOT_FOUND')
  const colorLayer = await ds.addLayer('color', 'color')
  t.is(ds.getColorLayer(), colorLayer)
  await ds.addLayer('different_color', 'color')
  t.is(code(t.throws(() => ds.getColorLayer())), 'ERR_WK_INVALID_ARGUMENT')
})

formatTest('test_dataset_name', async (t, format) => {
  const root = tempDir(t)
  const ds = inFormat(await Dataset.create(join(root, 'some_name'), { scale: [1, 1, 1] }), format)
  t.is(ds.name, 'some_name')
  await ds.setName('other_name')
  t.is(ds.name, 'other_name')
  t.is(readJson(join(root, 'some_name')).id.name, 'other_name')
  t.is((await Dataset.open(join(root, 'some_name'))).name, 'other_name')

  const ds2 = inFormat(await Dataset.create(join(root, 'some_new_name'), { scale: [1, 1, 1], name: 'very important dataset' }), format)
  t.is(ds2.name, 'very important dataset')
})

formatTest('test_add_copy_layer', async (t, format) => {
  const root = tempDir(t)
  const ds = inFormat(await Dataset.create(join(root, 'ds'), { scale: [2, 2, 1] }), format)
  const otherDs = inFormat(await Dataset.create(join(root, 'other_ds'), { scale: [2, 2, 1] }), format)
  const originalColorLayer = await otherDs.addLayer('color', 'color')
  await (await originalColorLayer.addMag(1, SMALL_FILES)).write(random3d('uint8', [32, 64, 128], 54), { offset: [10, 20, 30] })
  await otherDs.addLayer('segmentation', 'segmentation', { largestSegmentId: 999 })

  // Copies the layers of another dataset.
  await ds.addCopyLayer(join(root, 'other_ds', 'color'))
  await ds.addCopyLayer(join(root, 'other_ds', 'segmentation'))
  t.is(ds.layers.size, 2)
  t.is((ds.getLayer('segmentation') as SegmentationLayer).largestSegmentId, 999)
  const colorLayer = ds.getLayer('color')
  t.true(colorLayer.boundingBox.equals(new BoundingBox([10, 20, 30], [32, 64, 128])))
  t.deepEqual([...colorLayer.mags.keys()], [...originalColorLayer.mags.keys()])
  t.true(colorLayer.mags.size >= 1)
  t.false(lstatSync(join(root, 'ds', 'color')).isSymbolicLink())
  for (const key of colorLayer.mags.keys()) {
    const copied = await colorLayer.getMag(key).read()
    assertVoxels(t, copied, await originalColorLayer.getMag(key).read())
    // The copy holds real data.
    t.true((copied.data as Uint8Array).some((v) => v > 0))
  }

  // The dataset already has a layer called "color" (IndexError in the reference).
  const e = await t.throwsAsync(ds.addCopyLayer(join(root, 'other_ds', 'color')))
  t.is(code(e), 'ERR_WK_ALREADY_EXISTS')

  // The properties are saved.
  t.true((await Dataset.open(join(root, 'ds'))).layers.has('color'))
})

formatTest('test_rename_layer', async (t, format) => {
  const path = join(tempDir(t), 'ds')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  const layer = await ds.addLayer('color', 'color')
  const mag = await layer.addMag(1)
  const writeData = random3d('uint8', [10, 20, 30], 55)
  await mag.write(writeData)

  await layer.rename('color2')

  t.false(existsSync(join(path, 'color')))
  t.true(existsSync(join(path, 'color2')))
  const names = readJson(path).dataLayers.map((l: { name: string }) => l.name)
  t.deepEqual(names, ['color2'])
  t.true(ds.layers.has('color2'))
  t.false(ds.layers.has('color'))
  t.is(layer.name, 'color2')

  // The MagView created before the rename is still valid.
  assertVoxels(t, await mag.read(), writeData)
  t.deepEqual([...(await Dataset.open(path)).layers.keys()], ['color2'])
})

formatTest('test_rename_layer refuses an existing name', async (t, format) => {
  const path = join(tempDir(t), 'ds')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  const layer = await ds.addLayer('color', 'color')
  await ds.addLayer('color2', 'color')
  const e = await t.throwsAsync(layer.rename('color2'))
  t.is(code(e), 'ERR_WK_ALREADY_EXISTS')
  t.is(layer.name, 'color')
  t.true(existsSync(join(path, 'color')))
})

formatTest('test_delete_layer_and_mag', async (t, format) => {
  const path = join(tempDir(t), 'ds')
  const ds = inFormat(await Dataset.create(path, { scale: [1, 1, 1] }), format)
  const colorLayer = await ds.addLayer('color', 'color')
  await colorLayer.addMag(1)
  await colorLayer.addMag(2)
  await ds.addLayer('segmentation', 'segmentation', { largestSegmentId: 999 })
  t.true(ds.layers.has('color'))
  t.true(ds.layers.has('segmentation'))
  t.is(readJson(path).dataLayers.filter((l: { name: string }) => l.name === 'color').length, 1)
  t.is(magEntriesOf(readJson(path).dataLayers[0]).length, 2)

  await colorLayer.deleteMag(1)
  const resolutions = magEntriesOf(readJson(path).dataLayers[0])
  t.is(resolutions.length, 1)
  t.deepEqual(resolutions[0].resolution ?? resolutions[0].mag, [2, 2, 2])
  t.deepEqual([...colorLayer.mags.keys()], ['2'])
  t.false(existsSync(join(path, 'color', '1')))
  t.is(code(t.throws(() => colorLayer.getMag(1))), 'ERR_WK_NOT_FOUND')
  t.is(code(await t.throwsAsync(colorLayer.deleteMag(1))), 'ERR_WK_NOT_FOUND')

  await ds.deleteLayer('color')
  t.false(ds.layers.has('color'))
  t.true(ds.layers.has('segmentation'))
  t.deepEqual(
    readJson(path).dataLayers.map((l: { name: string }) => l.name),
    ['segmentation'],
  )
  t.false(existsSync(join(path, 'color')))
  t.is(code(await t.throwsAsync(ds.deleteLayer('color'))), 'ERR_WK_NOT_FOUND')
})

formatTest('deleting a symlinked layer removes the link, not the original', async (t, format) => {
  // The reference raised OSError here (rmtree refuses symlinks); removing only the link is the
  // safe reading of the contract ("a symlink is removed, never what it points to").
  const root = tempDir(t)
  const other = inFormat(await Dataset.create(join(root, 'other'), { scale: [1, 1, 1] }), format)
  await (await other.addLayer('color', 'color')).addMag(1)
  const ds = inFormat(await Dataset.create(join(root, 'ds'), { scale: [1, 1, 1] }), format)
  await ds.addSymlinkLayer(join(root, 'other', 'color'))
  await ds.deleteLayer('color')
  t.false(existsSync(join(root, 'ds', 'color')))
  t.true(holdsArray(join(root, 'other', 'color', '1')))
})

test('Dataset.create refuses a non-empty directory; open refuses a missing dataset', async (t) => {
  const root = tempDir(t)
  const path = join(root, 'ds')
  await Dataset.create(path, { scale: [1, 1, 1] })
  t.is(code(await t.throwsAsync(Dataset.create(path, { scale: [1, 1, 1] }))), 'ERR_WK_ALREADY_EXISTS')
  t.is(code(await t.throwsAsync(Dataset.open(join(root, 'missing')))), 'ERR_WK_NOT_FOUND')
})
