// datasource-properties.json: tests ported from the Python reference's test_dataset.py
// (test_open_dataset_without_num_channels_in_properties, test_properties_with_segmentation,
// test_dataset_view_configuration, test_layer_view_configuration) plus the JSON forms of
// shared/reference/python-reference-behaviour.md §2.3-2.5 and the deliberate differences 6 and 9
// of shared/spec/api.md (atomic saves, today's `mags` / `scale: {factor, unit}` form, unknown
// keys kept).
import test from 'ava'
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BoundingBox, Dataset, type DatasetViewConfiguration, type LayerViewConfiguration, SegmentationLayer } from '../index'
import { parseProperties, serializeProperties } from '../lib/model/properties'
import { fixturesDir, haveFixtures, skipReason, tempDir } from './helpers/paths'
import { assertVoxels, captureWarnings, code, constant, copyFixture, random3d, readJson } from './helpers/voxels'

const fixtureTest = haveFixtures ? test : (skipReason(`the shared fixtures are missing (${fixturesDir})`), test.skip)
const fixtureSerial = haveFixtures ? test.serial : test.skip

const PROPERTIES = 'datasource-properties.json'

/** `value` without any `numChannels` keys, at any depth. */
function withoutNumChannels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNumChannels)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'numChannels').map(([k, v]) => [k, withoutNumChannels(v)]))
  }
  return value
}

/** Keys sorted at every depth, so that deepEqual ignores key order, as the reference's test does. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

const isCamelCase = (key: string) => /^[a-z][a-zA-Z0-9]*$/.test(key)

// ---------------------------------------------------------------------------------------------
// Ported tests

fixtureTest('test_open_dataset_without_num_channels_in_properties', async (t) => {
  const path = copyFixture(t, 'old_wk_dataset', 'old_wk_dataset_copy')
  const before = readJson(path)
  t.false('numChannels' in before.dataLayers[0])

  const ds = await Dataset.open(path)
  // Inferred from the header of the first mag.
  t.is(ds.getLayer('color').numChannels, 1)
  t.is(ds.getLayer('color').dtypePerChannel, 'uint8')

  // Any saving change writes the inferred value, as _export_as_json did.
  await ds.setName(ds.name)
  const after = readJson(path)
  t.is(after.dataLayers[0].numChannels, 1)
  // Deliberate difference 9: the legacy integer resolutions stay integers (the reference wrote [1, 1, 1]).
  t.deepEqual(
    after.dataLayers[0].wkwResolutions.map((r: { resolution: unknown }) => r.resolution),
    [1, 2],
  )
  t.deepEqual(withoutNumChannels(after), withoutNumChannels(before))
})

fixtureTest('test_properties_with_segmentation', async (t) => {
  const file = join(fixturesDir, 'complex_property_ds', PROPERTIES)
  const text = readFileSync(file, 'utf8')
  const original = JSON.parse(text)

  // Model round trip, as the reference converted the JSON with its cattrs converter.
  const json = parseProperties(text, file)
  const segmentation = json.dataLayers[1]
  t.is(segmentation.category, 'segmentation')
  t.is(segmentation.largestSegmentId, 1000000000)
  t.deepEqual(segmentation.mappings, ['larger5um1', 'axons', 'astrocyte-ge-7', 'astrocyte', 'mitochondria', 'astrocyte-full'])
  const written = JSON.parse(serializeProperties(json))
  t.deepEqual(canonical(withoutNumChannels(written)), canonical(withoutNumChannels(original)))
})

fixtureSerial('test_properties_with_segmentation (through Dataset.open and a save)', async (t) => {
  const path = copyFixture(t, 'complex_property_ds')
  const original = readJson(path)
  const warnings = captureWarnings('WebknossosWarning')
  let ds: Dataset
  try {
    ds = await Dataset.open(path)
    // Only mag 1 exists on disk: 2, 4, 8, 16 and 32 of both layers are left out with a warning each.
    t.is(await warnings.count(), 10)
    t.true(warnings.warnings.some((w) => /Mag 16 of layer "segmentation"/.test(w.message)))
  } finally {
    warnings.stop()
  }
  const layer = ds.getLayer('segmentation') as SegmentationLayer
  t.true(layer instanceof SegmentationLayer)
  t.is(layer.largestSegmentId, 1000000000)
  t.deepEqual([...layer.mappings], original.dataLayers[1].mappings)
  t.deepEqual([...layer.mags.keys()], ['1'])
  t.is(layer.numChannels, 1)
  t.is(layer.dtypePerChannel, 'uint32')
  t.is(layer.getMag(1).header.blockType, 'lz4hc')

  // Saving keeps every entry, including the mags that could not be opened (api.md, Dataset).
  await ds.setName(ds.name)
  const after = readJson(path)
  t.deepEqual(canonical(withoutNumChannels(after)), canonical(withoutNumChannels(original)))
  t.deepEqual(
    after.dataLayers.map((l: { numChannels: number }) => l.numChannels),
    [1, 1],
  )
})

test('test_dataset_view_configuration', async (t) => {
  const path = join(tempDir(t), 'dataset_view_configuration')
  const ds1 = await Dataset.create(path, { scale: [2, 2, 1] })
  t.is(ds1.defaultViewConfiguration, undefined)

  await ds1.setDefaultViewConfiguration({ fourBit: true })
  const config = ds1.defaultViewConfiguration!
  t.is(config.fourBit, true)
  for (const key of ['interpolation', 'renderMissingDataBlack', 'loadingStrategy', 'segmentationPatternOpacity', 'zoom', 'position', 'rotation']) {
    t.is(config[key], undefined, key)
  }
  // Unset fields are not written.
  t.deepEqual(readJson(path).defaultViewConfiguration, { fourBit: true })

  const full: DatasetViewConfiguration = {
    fourBit: true,
    interpolation: false,
    renderMissingDataBlack: true,
    loadingStrategy: 'PROGRESSIVE_QUALITY',
    segmentationPatternOpacity: 40,
    zoom: 0.1,
    position: [12, 12, 12],
    rotation: [1, 2, 3],
  }
  await ds1.setDefaultViewConfiguration(full)
  t.deepEqual(ds1.defaultViewConfiguration, full)

  // Reopen.
  const ds2 = await Dataset.open(path)
  t.deepEqual(ds2.defaultViewConfiguration, full)
  const written = readJson(path).defaultViewConfiguration
  t.deepEqual(written, full)
  for (const key of Object.keys(written)) t.true(isCamelCase(key), key)
})

test('test_layer_view_configuration', async (t) => {
  const path = join(tempDir(t), 'layer_view_configuration')
  const ds1 = await Dataset.create(path, { scale: [2, 2, 1] })
  const layer1 = await ds1.addLayer('color', 'color')
  t.is(layer1.defaultViewConfiguration, undefined)

  await layer1.setDefaultViewConfiguration({ color: [255, 0, 0] })
  const config = layer1.defaultViewConfiguration!
  t.deepEqual(config.color, [255, 0, 0])
  for (const key of ['alpha', 'intensityRange', 'min', 'max', 'isDisabled', 'isInverted', 'isInEditMode']) t.is(config[key], undefined, key)
  t.deepEqual(readJson(path).dataLayers[0].defaultViewConfiguration, { color: [255, 0, 0] })

  const full: LayerViewConfiguration = { color: [255, 0, 0], alpha: 1.0, min: 55.0, intensityRange: [-123, 123], isInverted: true }
  await layer1.setDefaultViewConfiguration(full)
  t.deepEqual(layer1.defaultViewConfiguration, full)

  // Reopen.
  const layer2 = (await Dataset.open(path)).getLayer('color')
  t.deepEqual(layer2.defaultViewConfiguration, full)
  const written = readJson(path).dataLayers[0].defaultViewConfiguration
  t.deepEqual(written, full)
  for (const key of Object.keys(written)) t.true(isCamelCase(key), key)
})

// ---------------------------------------------------------------------------------------------
// JSON forms (§2.3-2.5)

test('the JSON written by the API matches the reference example (§2.3)', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [11.24, 11.24, 25] })
  const color = await ds.addLayer('color', 'color', { dtypePerLayer: 'uint24', numChannels: 3 })
  await (await color.addMag('2-2-1', { blockLen: 8, fileLen: 16 })).write(constant('uint8', [3, 5, 6, 7], 1), { offset: [1, 2, 3] })
  await ds.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: -1 })
  await ds.addLayer('seg2', 'segmentation', { largestSegmentId: 5, mappings: ['a.json'] })
  await color.setDefaultViewConfiguration({ color: [1, 2, 3], intensityRange: [0, 255.5], isDisabled: false })
  await ds.setDefaultViewConfiguration({ zoom: 1, position: [1, 2, 3] })

  const expected = {
    id: { name: 'ds', team: '' },
    scale: [11.24, 11.24, 25.0],
    dataLayers: [
      {
        name: 'color',
        category: 'color',
        boundingBox: { topLeft: [2, 4, 3], width: 10, height: 12, depth: 7 },
        elementClass: 'uint24',
        wkwResolutions: [{ resolution: [2, 2, 1], cubeLength: 128 }],
        dataFormat: 'wkw',
        numChannels: 3,
        defaultViewConfiguration: { color: [1, 2, 3], intensityRange: [0, 255.5], isDisabled: false },
      },
      {
        name: 'segmentation',
        category: 'segmentation',
        boundingBox: { topLeft: [0, 0, 0], width: 0, height: 0, depth: 0 },
        elementClass: 'uint32',
        wkwResolutions: [],
        dataFormat: 'wkw',
        numChannels: 1,
      },
      {
        name: 'seg2',
        category: 'segmentation',
        boundingBox: { topLeft: [0, 0, 0], width: 0, height: 0, depth: 0 },
        elementClass: 'uint8',
        wkwResolutions: [],
        dataFormat: 'wkw',
        numChannels: 1,
        largestSegmentId: 5,
        mappings: ['a.json'],
      },
    ],
    defaultViewConfiguration: { zoom: 1, position: [1, 2, 3] },
  }
  t.deepEqual(canonical(readJson(path)), canonical(expected))
  // Indented with 4 spaces, as json.dump(..., indent=4).
  t.true(readFileSync(join(path, PROPERTIES), 'utf8').startsWith('{\n    "id": {\n        "name": "ds"'))
})

test('a new dataset is written with wkwResolutions and numChannels (deliberate difference 9)', async (t) => {
  const path = join(tempDir(t), 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  t.deepEqual(readJson(path), { id: { name: 'ds', team: '' }, scale: [1, 1, 1], dataLayers: [] })
  await (await ds.addLayer('color', 'color')).addMag(1)
  const layer = readJson(path).dataLayers[0]
  t.deepEqual(layer.wkwResolutions, [{ resolution: [1, 1, 1], cubeLength: 1024 }])
  t.false('mags' in layer)
  t.is(layer.numChannels, 1)
})

fixtureTest('the simple_wk_dataset fixture reads as stored', async (t) => {
  const ds = await Dataset.open(join(fixturesDir, 'simple_wk_dataset'))
  t.is(ds.name, 'simple_wk_dataset')
  t.deepEqual([...ds.scale], [1, 1, 1])
  t.deepEqual(ds.defaultViewConfiguration, { position: [12, 12, 12] })
  const layer = ds.getLayer('color')
  t.is(layer.category, 'color')
  t.is(layer.numChannels, 3)
  t.is(layer.dtypePerChannel, 'uint8')
  t.is(layer.dtypePerLayer, 'uint24')
  t.true(layer.boundingBox.equals(new BoundingBox([0, 0, 0], [24, 24, 24])))
  t.deepEqual(layer.defaultViewConfiguration, { color: [255, 0, 0] })
  const header = layer.getMag(1).header
  t.deepEqual({ ...header }, { version: 1, blockLen: 8, fileLen: 4, blockType: 'raw', voxelType: 'uint8', numChannels: 3 })
})

fixtureTest('the old_wk_dataset fixture: integer resolutions, mags of different cube lengths', async (t) => {
  const ds = await Dataset.open(join(fixturesDir, 'old_wk_dataset'))
  t.is(ds.name, 'ROI2017_wkw')
  t.deepEqual([...ds.scale], [11.239999771118164, 11.239999771118164, 28])
  const layer = ds.getLayer('color')
  t.deepEqual([...layer.mags.keys()], ['1', '2'])
  t.is(layer.getMag(1).header.fileLen, 32)
  t.is(layer.getMag(2).header.fileLen, 16)
  t.is(layer.getMag(2).header.blockLen, 32)
})

fixtureTest('numChannels is inferred from the first mag of the properties (§2.5)', async (t) => {
  // complex_property_ds lists no numChannels for either layer; the first mag of each is mag 1.
  const path = copyFixture(t, 'complex_property_ds')
  const warnings = captureWarnings('WebknossosWarning')
  try {
    const ds = await Dataset.open(path)
    t.deepEqual(
      [...ds.layers.values()].map((l) => l.numChannels),
      [1, 1],
    )
    // A uint24 layer whose first mag header says 3 channels.
    const rgbPath = join(tempDir(t), 'rgb')
    const rgb = await Dataset.create(rgbPath, { scale: [1, 1, 1] })
    await (await rgb.addLayer('color', 'color', { dtypePerLayer: 'uint24', numChannels: 3 })).addMag(1)
    const json = readJson(rgbPath)
    delete json.dataLayers[0].numChannels
    writeFileSync(join(rgbPath, PROPERTIES), JSON.stringify(json))
    const reopened = (await Dataset.open(rgbPath)).getLayer('color')
    t.is(reopened.numChannels, 3)
    t.is(reopened.dtypePerChannel, 'uint8')
  } finally {
    warnings.stop()
  }
})

// ---------------------------------------------------------------------------------------------
// Deliberate difference 9: today's form, unknown keys

/** Rewrites the properties of `path` into the form today's Python library writes. */
function toTodaysForm(path: string): any {
  const json = readJson(path)
  json.scale = { factor: json.scale, unit: 'nanometer' }
  json.version = 1
  for (const layer of json.dataLayers) {
    layer.mags = layer.wkwResolutions.map((r: { resolution: number[]; cubeLength: number }) => ({
      mag: r.resolution,
      path: `./${layer.name}/${r.resolution.every((c) => c === r.resolution[0]) ? r.resolution[0] : r.resolution.join('-')}`,
      cubeLength: r.cubeLength,
      axisOrder: { c: 0, x: 1, y: 2, z: 3 },
    }))
    delete layer.wkwResolutions
  }
  writeFileSync(join(path, PROPERTIES), JSON.stringify(json, null, 2))
  return json
}

test("today's form (mags, scale {factor, unit}) opens and is saved back in that form", async (t) => {
  const path = join(tempDir(t), 'today')
  const ds = await Dataset.create(path, { scale: [11.24, 11.24, 28] })
  const color = await ds.addLayer('color', 'color')
  const data = random3d('uint8', [20, 20, 20], 90)
  await (await color.addMag(1, { fileLen: 8 })).write(data, { offset: [4, 4, 4] })
  await (await ds.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 9 })).addMag('2-2-1', { fileLen: 8 })
  const stored = toTodaysForm(path)

  const reopened = await Dataset.open(path)
  t.deepEqual([...reopened.scale], [11.24, 11.24, 28])
  const layer = reopened.getLayer('color')
  t.deepEqual([...layer.mags.keys()], ['1'])
  assertVoxels(t, await layer.getMag(1).read({ offset: [4, 4, 4], size: [20, 20, 20] }), data)
  t.deepEqual([...reopened.getLayer('segmentation').mags.keys()], ['2-2-1'])

  // Changes are saved in the same form.
  await layer.addMag(2, { fileLen: 8 })
  await layer.getMag(1).write(random3d('uint8', [2, 2, 2], 91), { offset: [30, 30, 30] })
  await reopened.addLayer('more', 'color')
  const saved = readJson(path)
  t.deepEqual(saved.scale, { factor: [11.24, 11.24, 28], unit: 'nanometer' })
  t.is(saved.version, 1)
  for (const l of saved.dataLayers) {
    t.false('wkwResolutions' in l, l.name)
    t.true(Array.isArray(l.mags), l.name)
  }
  t.deepEqual(saved.dataLayers[0].mags, [
    ...stored.dataLayers[0].mags,
    { mag: [2, 2, 2], path: './color/2', cubeLength: 256, axisOrder: { c: 0, x: 1, y: 2, z: 3 } },
  ])
  t.deepEqual(saved.dataLayers[0].boundingBox, { topLeft: [4, 4, 4], width: 28, height: 28, depth: 28 })
  t.deepEqual(saved.dataLayers[1], stored.dataLayers[1])
  t.true(existsSync(join(path, 'color', '2', 'header.wkw')))

  // It still opens, with every mag.
  const again = await Dataset.open(path)
  t.deepEqual([...again.getLayer('color').mags.keys()], ['1', '2'])
  t.deepEqual([...again.layers.keys()], ['color', 'segmentation', 'more'])
})

test("today's form: renaming a layer moves the stored mag paths along", async (t) => {
  const path = join(tempDir(t), 'today_rename')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const data = random3d('uint8', [8, 8, 8], 92)
  await (await (await ds.addLayer('color', 'color')).addMag(1, { fileLen: 8 })).write(data)
  toTodaysForm(path)

  const reopened = await Dataset.open(path)
  const layer = reopened.getLayer('color')
  const mag = layer.getMag(1)
  await layer.rename('color2')
  t.deepEqual(
    readJson(path).dataLayers[0].mags.map((m: { path: string }) => m.path),
    ['./color2/1'],
  )
  assertVoxels(t, await mag.read({ size: [8, 8, 8] }), data)
  assertVoxels(t, await (await Dataset.open(path)).getLayer('color2').getMag(1).read({ size: [8, 8, 8] }), data)
})

test("today's form: a mag path outside the dataset (absolute) opens", async (t) => {
  const root = tempDir(t)
  const other = await Dataset.create(join(root, 'other'), { scale: [1, 1, 1] })
  const data = random3d('uint8', [8, 8, 8], 94)
  await (await (await other.addLayer('color', 'color')).addMag(2, { fileLen: 8 })).write(data)
  const path = join(root, 'ds')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  await (await ds.addLayer('color', 'color')).addMag(1, { fileLen: 8 })
  const json = toTodaysForm(path)
  json.dataLayers[0].mags.push({ mag: [2, 2, 2], path: join(root, 'other', 'color', '2'), cubeLength: 256, axisOrder: { c: 0, x: 1, y: 2, z: 3 } })
  writeFileSync(join(path, PROPERTIES), JSON.stringify(json))

  const mag = (await Dataset.open(path)).getLayer('color').getMag(2)
  t.is(mag.path, join(root, 'other', 'color', '2'))
  assertVoxels(t, await mag.read({ size: [8, 8, 8] }), data)
})

test('keys the library does not know survive a save (deliberate difference 9)', async (t) => {
  const path = join(tempDir(t), 'unknown_keys')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  await (await ds.addLayer('color', 'color')).addMag(1)
  await ds.addLayer('segmentation', 'segmentation', { largestSegmentId: 3 })
  const json = readJson(path)
  json.id.organization = 'lab'
  json.somethingNew = { nested: [1, 2, 3] }
  json.defaultViewConfiguration = { zoom: 2, layers: { color: { alpha: 50 } }, blendMode: 'Additive' }
  json.dataLayers[0].coordinateTransformations = [{ type: 'affine', matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] }]
  json.dataLayers[0].wkwResolutions[0].note = 'kept'
  json.dataLayers[0].defaultViewConfiguration = { color: [1, 2, 3], mapping: { name: 'm' } }
  json.dataLayers[1].attachments = { meshes: [{ name: 'meshfile', path: 'meshes/meshfile.hdf5', dataFormat: 'hdf5' }] }
  writeFileSync(join(path, PROPERTIES), JSON.stringify(json))

  const reopened = await Dataset.open(path)
  // Several saving changes.
  await reopened.getLayer('color').getMag(1).write(random3d('uint8', [4, 4, 4], 93))
  await reopened.getLayer('color').addMag(2)
  await (reopened.getLayer('segmentation') as SegmentationLayer).setLargestSegmentId(7)
  await reopened.setName('renamed')

  const saved = readJson(path)
  t.is(saved.id.organization, 'lab')
  t.deepEqual(saved.somethingNew, { nested: [1, 2, 3] })
  t.deepEqual(saved.defaultViewConfiguration, json.defaultViewConfiguration)
  t.deepEqual(saved.dataLayers[0].coordinateTransformations, json.dataLayers[0].coordinateTransformations)
  t.is(saved.dataLayers[0].wkwResolutions[0].note, 'kept')
  t.deepEqual(saved.dataLayers[0].defaultViewConfiguration, json.dataLayers[0].defaultViewConfiguration)
  t.deepEqual(saved.dataLayers[1].attachments, json.dataLayers[1].attachments)
  t.is(saved.dataLayers[1].largestSegmentId, 7)
  t.is(saved.id.name, 'renamed')
})

// ---------------------------------------------------------------------------------------------
// Saving and invalid files

test('saves are atomic and the last state wins (deliberate difference 6)', async (t) => {
  const path = join(tempDir(t), 'atomic')
  const ds = await Dataset.create(path, { scale: [1, 1, 1] })
  const seg = (await ds.addLayer('segmentation', 'segmentation', { largestSegmentId: 0 })) as SegmentationLayer
  const mag = await seg.addMag(1, { fileLen: 4 })
  // Many saves in flight at once, among them bounding-box growth from concurrent writes.
  await Promise.all([
    ...Array.from({ length: 50 }, (_, i) => seg.setLargestSegmentId(i + 1)),
    ...Array.from({ length: 8 }, (_, i) => mag.write(random3d('uint8', [4, 4, 4], i), { offset: [i * 10, 0, 0] })),
    ds.setDefaultViewConfiguration({ zoom: 3 }),
  ])
  const text = readFileSync(join(path, PROPERTIES), 'utf8')
  const json = JSON.parse(text)
  t.is(json.dataLayers[0].largestSegmentId, 50)
  t.deepEqual(json.dataLayers[0].boundingBox, { topLeft: [0, 0, 0], width: 74, height: 4, depth: 4 })
  t.deepEqual(json.defaultViewConfiguration, { zoom: 3 })
  // No temporary files are left behind.
  t.deepEqual(readdirSync(path).sort(), [PROPERTIES, 'segmentation'])
})

test('a properties file that is not valid JSON or misses required keys is ERR_WK_CORRUPT', async (t) => {
  const root = tempDir(t)
  const path = join(root, 'ds')
  await Dataset.create(path, { scale: [1, 1, 1] })
  const file = join(path, PROPERTIES)

  writeFileSync(file, '{"id": {"name": "ds", "team": ""}, "scale": [1, 1, 1], "dataLayers": [')
  t.is(code(await t.throwsAsync(Dataset.open(path))), 'ERR_WK_CORRUPT')

  writeFileSync(file, JSON.stringify({ id: { name: 'ds', team: '' }, dataLayers: [] }))
  t.is(code(await t.throwsAsync(Dataset.open(path))), 'ERR_WK_CORRUPT')

  const layer = { name: 'color', category: 'color', boundingBox: { topLeft: [0, 0, 0], width: 1, height: 1, depth: 1 }, elementClass: 'uint8', wkwResolutions: [], dataFormat: 'wkw' }
  writeFileSync(file, JSON.stringify({ id: { name: 'ds', team: '' }, scale: [1, 1, 1], dataLayers: [{ ...layer, category: 'mask' }] }))
  t.is(code(await t.throwsAsync(Dataset.open(path))), 'ERR_WK_CORRUPT', 'an unknown category (RuntimeError in the reference)')

  const { boundingBox: _, ...noBox } = layer
  writeFileSync(file, JSON.stringify({ id: { name: 'ds', team: '' }, scale: [1, 1, 1], dataLayers: [noBox] }))
  t.is(code(await t.throwsAsync(Dataset.open(path))), 'ERR_WK_CORRUPT', 'a missing boundingBox (KeyError in the reference)')

  writeFileSync(file, JSON.stringify({ id: { name: 'ds', team: '' }, scale: [1, 1, 1], dataLayers: [layer] }))
  t.is((await Dataset.open(path)).getLayer('color').numChannels, 1)

  rmSync(file)
  t.is(code(await t.throwsAsync(Dataset.open(path))), 'ERR_WK_NOT_FOUND')
})
