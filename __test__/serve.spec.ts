// `serve` / `wk serve`: zarrita.js, as a client over HTTP, reads every served array with the voxels
// the library reads locally (WKW raw and LZ4HC, Zarr v3 passed through, Zarr v2, a segmentation);
// metadata, ranges, ETags, CORS, gzip and tokens work; and no request reaches a file outside the
// served directories, however its path is spelled.
import test from 'ava'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { type DataFormat, Dataset, type Server, serve } from '../index'
import { bytes } from './helpers/data'
import { startWk, wk } from './helpers/cli'
import { tempDir } from './helpers/paths'
import { random3d, randomBelow } from './helpers/voxels'

const load = () => import('zarrita')

const EDGE = 80

/** A dataset with a layer of every kind a server meets, each with mags 1 and 2. */
async function servedDataset(dir: string): Promise<Dataset> {
  const dataset = await Dataset.create(join(dir, 'demo'), { scale: [11, 11, 24] })
  const layers: [string, DataFormat, boolean][] = [
    ['raw', 'wkw', false],
    ['lz4hc', 'wkw', true],
    ['zarr3', 'zarr3', true],
    ['zarr2', 'zarr', true],
  ]
  for (const [i, [name, format, compress]] of layers.entries()) {
    const layer = await dataset.addLayer(name, 'color', { dtypePerChannel: 'uint8', dataFormat: format })
    const options = format === 'wkw' ? { blockLen: 32, fileLen: 2, compress } : format === 'zarr3' ? { chunkShape: 32, shardShape: 64, compress } : { chunkShape: 32, compress }
    await (await layer.addMag(1, options)).write(random3d('uint8', [EDGE, EDGE, EDGE], 10 + i), { offset: [3, 0, 5] })
    await layer.downsample({ maxMag: 2 })
  }
  const ids = Uint32Array.from(randomBelow(40, [1, EDGE, EDGE, EDGE], 20).data as Uint8Array)
  const segmentation = await dataset.addLayer('segmentation', 'segmentation', { dtypePerChannel: 'uint32', largestSegmentId: 39 })
  await (await segmentation.addMag(1, { compress: true })).write({ data: ids, shape: [EDGE, EDGE, EDGE] }, { offset: [0, 0, 0] })
  await segmentation.downsample({ maxMag: 2 })
  return Dataset.open(dataset.path)
}

interface Fixture {
  dir: string
  dataset: Dataset
  server: Server
}

let fixture: Promise<Fixture> | undefined
/** One dataset and server for the whole suite. */
function shared(t: { teardown: (f: () => void) => void }): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = tempDir(t as never)
    const dataset = await servedDataset(dir)
    const server = await serve([dir], { port: 0 })
    return { dir, dataset, server }
  })()
  return fixture
}
test.after.always(async () => (await fixture)?.server.close())

/** A raw GET of exactly `path` (no normalisation of dots, unlike fetch). */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('zarrita.js reads every served mag of every layer with the voxels the library reads', async (t) => {
  const { dataset, server } = await shared(t)
  const zarr = await load()
  for (const layer of dataset.layers.values()) {
    for (const view of layer.mags.values()) {
      const url = `${server.url}/demo/${layer.name}/${view.name}`
      const array = await zarr.open(new zarr.FetchStore(url), { kind: 'array' })
      const box = layer.boundingBox.alignWithMag(view.mag, { ceil: true }).inMag(view.mag)
      const [x, y, z] = box.topLeft
      const [w, h, d] = box.size
      const theirs = await zarr.get(array, [0, zarr.slice(x, x + w), zarr.slice(y, y + h), zarr.slice(z, z + d)])
      const ours = await view.read({ offset: box.topLeft, size: box.size })
      // zarrita's result has strides of its own choosing; ours has x fastest.
      const transposed = new (ours.data.constructor as Uint8ArrayConstructor)(ours.data.length)
      const data = theirs.data as Uint8Array
      const [sx, sy, sz] = theirs.stride
      for (let i = 0; i < w; i++) for (let j = 0; j < h; j++) for (let k = 0; k < d; k++) transposed[i + w * (j + h * k)] = data[i * sx + j * sy + k * sz]
      t.true(Buffer.compare(bytes(transposed), bytes(ours.data)) === 0, `${layer.name}/${view.name}`)
      t.true(ours.data.some((v) => v !== 0), `${layer.name}/${view.name} holds data`)
    }
  }
})

test('the API lists datasets, layers and mags; OME-NGFF 0.5 groups describe each layer', async (t) => {
  const { server } = await shared(t)
  const listing = JSON.parse((await get(server.url, '/api/datasets')).body.toString())
  t.deepEqual(listing.datasets.map((d: { name: string }) => d.name), ['demo'])
  const [demo] = listing.datasets
  t.deepEqual(demo.layers.map((l: { name: string }) => l.name), ['raw', 'lz4hc', 'zarr3', 'zarr2', 'segmentation'])
  const segmentation = demo.layers[4]
  t.like(segmentation, { category: 'segmentation', dtype: 'uint32', numChannels: 1, largestSegmentId: 39 })
  t.deepEqual(segmentation.mags.map((m: { mag: number[]; url: string }) => [m.mag, m.url]), [[[1, 1, 1], '/demo/segmentation/1'], [[2, 2, 1], '/demo/segmentation/2-2-1']])
  const group = JSON.parse((await get(server.url, '/demo/raw/zarr.json')).body.toString())
  t.is(group.attributes.ome.version, '0.5')
  t.deepEqual(group.attributes.ome.multiscales[0].datasets.map((d: { path: string }) => d.path), ['1', '2-2-1'])
  t.deepEqual(group.attributes.ome.multiscales[0].datasets[1].coordinateTransformations[0].scale, [1, 22, 22, 24])
  t.is(JSON.parse((await get(server.url, '/demo/zarr.json')).body.toString()).node_type, 'group')
})

test('Zarr v3 shards go out as stored, with ranges; ETags, CORS and gzip of JSON work', async (t) => {
  const { dataset, server } = await shared(t)
  const shard = join(dataset.getLayer('zarr3').getMag(1).path, 'c', '0', '0', '0', '0')
  const { readFileSync } = await import('node:fs')
  const stored = readFileSync(shard)
  const whole = await get(server.url, '/demo/zarr3/1/c/0/0/0/0')
  t.is(whole.status, 200)
  t.true(whole.body.equals(stored))
  t.is(whole.headers['access-control-allow-origin'], '*')
  const tail = await get(server.url, '/demo/zarr3/1/c/0/0/0/0', { Range: 'bytes=-100' })
  t.is(tail.status, 206)
  t.true(tail.body.equals(stored.subarray(stored.length - 100)))
  t.is(tail.headers['content-range'], `bytes ${stored.length - 100}-${stored.length - 1}/${stored.length}`)
  const middle = await get(server.url, '/demo/zarr3/1/c/0/0/0/0', { Range: 'bytes=10-19' })
  t.true(middle.body.equals(stored.subarray(10, 20)))
  t.is((await get(server.url, '/demo/zarr3/1/c/0/0/0/0', { Range: `bytes=${stored.length + 5}-` })).status, 416)
  t.is((await get(server.url, '/demo/zarr3/1/c/0/0/0/0', { 'If-None-Match': String(whole.headers.etag) })).status, 304)
  const chunk = await get(server.url, '/demo/lz4hc/1/c/0/1/0/1')
  t.is(chunk.status, 200)
  t.is(chunk.body.length, 32 ** 3)
  t.is((await get(server.url, '/demo/lz4hc/1/c/0/1/0/1', { 'If-None-Match': String(chunk.headers.etag) })).status, 304)
  const zipped = await get(server.url, '/api/datasets', { 'Accept-Encoding': 'gzip' })
  t.is(zipped.headers['content-encoding'], 'gzip')
  t.is(JSON.parse(gunzipSync(zipped.body).toString()).datasets.length, 1)
  const preflight = await new Promise<number>((resolve) => {
    const { hostname, port } = new URL(server.url)
    request({ hostname, port, path: '/demo/raw/1/zarr.json', method: 'OPTIONS' }, (res) => resolve(res.statusCode ?? 0)).end()
  })
  t.is(preflight, 204)
})

test('paths that try to leave the served directories are 404, however they are spelled', async (t) => {
  const { dir, dataset, server } = await shared(t)
  // A secret beside the served directory, and a symlink inside a mag that points at it.
  writeFileSync(join(dir, '..', 'secret.txt'), 'secret')
  const outside = join(tempDir(t), 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'shard'), 'secret')
  const mag = dataset.getLayer('zarr3').getMag(1).path
  mkdirSync(join(mag, 'c', '0', '9', '9'), { recursive: true })
  symlinkSync(join(outside, 'shard'), join(mag, 'c', '0', '9', '9', '9'))
  const attempts = [
    '/../secret.txt',
    '/demo/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/demo/%2e%2e/%2e%2e/secret.txt',
    '/demo/%252e%252e/%252e%252e/secret.txt',
    '/demo/raw/1/..%2f..%2f..%2fdatasource-properties.json',
    '/demo/raw/1/%2e%2e/%2e%2e/datasource-properties.json',
    '//etc/passwd',
    '/demo/raw/1/c/0/0/0/..%2f..%2f..%2f..%2fheader.wkw',
    '/demo/zarr3/1/c/0/9/9/9',
    '/demo/zarr3/1/zarr.json/../../../datasource-properties.json',
    '/viewer/..%2f..%2fpackage.json',
    '/demo/raw/1/header.wkw',
    '/demo/datasource-properties.json',
    '/etc/passwd',
    '/demo/raw/1/c/0/-1/0/0',
    '/demo/raw/1/c/1/0/0/0',
  ]
  for (const path of attempts) {
    const response = await get(server.url, path)
    t.is(response.status, 404, path)
    t.false(response.body.toString().includes('secret'), path)
  }
})

test('with a token, every request needs it; the server binds to loopback by default', async (t) => {
  const { dir } = await shared(t)
  const server = await serve([join(dir, 'demo')], { port: 0, token: 's3cret' })
  t.teardown(() => server.close())
  t.true(server.url.startsWith('http://127.0.0.1:'))
  t.is((await get(server.url, '/api/datasets')).status, 401)
  t.is((await get(server.url, '/demo/raw/1/zarr.json?token=wrong')).status, 401)
  t.is((await get(server.url, '/api/datasets?token=s3cret')).status, 200)
  t.is((await get(server.url, '/demo/raw/1/zarr.json', { Authorization: 'Bearer s3cret' })).status, 200)
})

test('the viewer page and its scripts are served from the package', async (t) => {
  const { server } = await shared(t)
  const page = await get(server.url, '/')
  t.is(page.status, 200)
  t.regex(page.body.toString(), /\/viewer\/main\.js/)
  t.is((await get(server.url, '/viewer/main.js')).status, 200)
  t.is((await get(server.url, '/viewer/nothing.js')).status, 404)
})

test('wk serve prints its address and the viewer URL, serves until SIGTERM, and refuses a bad port', async (t) => {
  const { dir } = await shared(t)
  const running = startWk(['serve', join(dir, 'demo'), '--port', '0', '--token', 'abc'])
  t.teardown(() => void running.child.kill('SIGKILL'))
  while (!/viewer: (\S+)/.test(running.stdout())) await new Promise((resolve) => setTimeout(resolve, 50))
  const page = /viewer: (\S+)/.exec(running.stdout())![1]
  t.regex(page, /^http:\/\/127\.0\.0\.1:\d+\/\?token=abc$/)
  const url = new URL(page)
  t.is((await get(url.origin, '/api/datasets?token=abc')).status, 200)
  running.child.kill('SIGTERM')
  // Stopping is what a server is for: a clean close exits 0.
  t.is((await running.exit).code, 0)
  const bad = await wk(['serve', join(dir, 'demo'), '--port', '70000'])
  t.is(bad.code, 2)
  t.regex(bad.stderr, /port/)
})
