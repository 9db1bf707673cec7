// `serve(datasets, opts)`: every layer and mag of the datasets as read-only Zarr v3 arrays with
// OME-NGFF 0.5 metadata, `GET /api/datasets`, and the viewer page at `/`, on Node's own `http`.
//
// Safety: a URL is never turned into a path. It is split into segments, each decoded once, and
// matched against the names of what is served (datasets, layers, mags, chunk keys of integers,
// the viewer's files), so `..`, encoded and double-encoded dots and absolute paths match nothing
// and are 404; a file that is served is also checked, after resolving symlinks, to lie inside the
// directory it was served from. Native reads are limited to a few at once; files stream with
// back-pressure, so a slow client holds a socket, not the others.
import { createHash, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, readdirSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { type IncomingMessage, type Server as HttpServer, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, sep } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { invalidArgument } from '../errors'
import { Dataset } from '../model/dataset'
import { omeMultiscale } from '../model/zarr-metadata'
import { isRemote } from '../storage/location'
import { type ChunkSource, ServedArray } from './served-array'

const gzipAsync = promisify(gzip)

export interface ServeOptions {
  /** Interface to listen on (default 127.0.0.1: this machine only). */
  host?: string
  /** Port (default 8000; 0 picks a free one). */
  port?: number
  /** When given, every request must carry it: `?token=…` or `Authorization: Bearer …`. */
  token?: string
  /** Native chunk reads at once (default 8); more requests wait their turn. */
  concurrency?: number
}

export interface Server {
  /** The server's base URL, e.g. http://127.0.0.1:8000. */
  readonly url: string
  /** The served datasets by URL name. */
  readonly datasets: ReadonlyMap<string, Dataset>
  close(): Promise<void>
}

interface ServedLayer {
  arrays: Map<string, ServedArray>
}

interface Served {
  dataset: Dataset
  /** The directory that everything served for it must lie in. */
  root: string
  layers: Map<string, ServedLayer>
}

/** The viewer's files, by name, from the package's build (dist/viewer). */
function viewerFiles(): Map<string, string> {
  for (const dir of [join(__dirname, '..', '..', 'viewer'), join(__dirname, '..', '..', 'dist', 'viewer')]) {
    if (existsSync(join(dir, 'index.html'))) return new Map(readdirSync(dir).map((name) => [name, join(dir, name)]))
  }
  return new Map()
}

const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }

/** The datasets a path names: the dataset itself, or each dataset directly inside a directory. */
async function datasetsAt(path: string): Promise<Dataset[]> {
  if (isRemote(path) || existsSync(join(path, 'datasource-properties.json'))) return [await Dataset.open(path)]
  const info = await stat(path).catch(() => undefined)
  if (!info?.isDirectory()) throw invalidArgument(`"${path}" is neither a dataset nor a directory of datasets`)
  const found = []
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && existsSync(join(path, entry.name, 'datasource-properties.json'))) found.push(await Dataset.open(join(path, entry.name)))
  }
  return found
}

async function prepare(dataset: Dataset): Promise<Served> {
  const layers = new Map<string, ServedLayer>()
  for (const layer of dataset.layers.values()) {
    const arrays = new Map<string, ServedArray>()
    for (const view of layer.mags.values()) arrays.set(view.name, await ServedArray.of(view, layer.boundingBox))
    layers.set(layer.name, { arrays })
  }
  return { dataset, root: isRemote(dataset.path) ? dataset.path : await realpath(dataset.path), layers }
}

/** A semaphore: at most `limit` holders at once, the rest wait in order. */
function limiter(limit: number) {
  let active = 0
  const waiting: (() => void)[] = []
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    else active++
    try {
      return await work()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}

const etagOf = (bytes: Uint8Array | string) => `"${createHash('sha1').update(bytes).digest('base64url')}"`

/** The single byte range a `Range` header asks for in a file of `size` bytes; null when unsatisfiable. */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | null | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) return undefined
  if (match[1] === '') {
    const suffix = Number(match[2])
    return suffix === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  return start >= size || end < start ? null : { start, end }
}

/** Serves `datasets` (dataset directories, directories of datasets, URLs or Datasets). */
export async function serve(datasets: readonly (string | Dataset)[], opts: ServeOptions = {}): Promise<Server> {
  const { host = '127.0.0.1', port = 8000, token, concurrency = 8 } = opts
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument(`port must be an integer from 0 to 65535, but is ${JSON.stringify(port)}`)
  if (token !== undefined && (typeof token !== 'string' || token === '')) throw invalidArgument('token must be a non-empty string')
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidArgument(`concurrency must be a positive integer, but is ${JSON.stringify(concurrency)}`)

  const served = new Map<string, Served>()
  for (const given of datasets) {
    for (const dataset of typeof given === 'string' ? await datasetsAt(given) : [given]) {
      let name = dataset.name
      for (let n = 2; served.has(name); n++) name = `${dataset.name}-${n}`
      served.set(name, await prepare(dataset))
    }
  }
  const viewer = viewerFiles()
  const read = limiter(concurrency)

  function listing() {
    return {
      datasets: [...served].map(([name, { dataset, layers }]) => ({
        name,
        url: `/${encodeURIComponent(name)}`,
        scale: dataset.scale,
        layers: [...dataset.layers.values()].map((layer) => ({
          name: layer.name,
          category: layer.category,
          dtype: layer.dtypePerChannel,
          numChannels: layer.numChannels,
          boundingBox: { topLeft: layer.boundingBox.topLeft, size: layer.boundingBox.size },
          largestSegmentId: 'largestSegmentId' in layer ? ((layer as { largestSegmentId?: number }).largestSegmentId ?? null) : null,
          mags: [...layer.mags.values()].map((view) => ({
            mag: view.mag.toArray(),
            url: `/${[name, layer.name, view.name].map(encodeURIComponent).join('/')}`,
            shape: layers.get(layer.name)?.arrays.get(view.name)?.shape,
          })),
        })),
      })),
    }
  }

  /** The JSON document a metadata path names, if any. */
  function metadataAt(segments: string[]): unknown {
    const [name, layerName, magName, file, ...rest] = segments
    const entry = served.get(name)
    if (!entry || rest.length > 0) return undefined
    if (layerName === 'zarr.json' && magName === undefined) {
      return { zarr_format: 3, node_type: 'group', attributes: {} }
    }
    const layer = entry.layers.get(layerName)
    if (!layer) return undefined
    if (magName === 'zarr.json' && file === undefined) {
      const mags = [...entry.dataset.getLayer(layerName).mags.values()].map((view) => ({ path: view.name, mag: view.mag }))
      return { zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', multiscales: [{ name: layerName, ...omeMultiscale(entry.dataset.scale, mags) }] } } }
    }
    if (file === 'zarr.json') return layer.arrays.get(magName)?.metadata
    return undefined
  }

  async function sendBytes(req: IncomingMessage, res: ServerResponse, body: Uint8Array, type: string, compressible: boolean): Promise<void> {
    const etag = etagOf(body)
    res.setHeader('ETag', etag)
    res.setHeader('Cache-Control', 'no-cache')
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304).end()
      return
    }
    res.setHeader('Content-Type', type)
    res.setHeader('Vary', 'Accept-Encoding')
    const range = compressible ? undefined : byteRange(req.headers.range, body.byteLength)
    if (range === null) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.byteLength}` }).end()
      return
    }
    if (range) {
      res.writeHead(206, { 'Content-Range': `bytes ${range.start}-${range.end}/${body.byteLength}`, 'Content-Length': range.end - range.start + 1 })
      res.end(req.method === 'HEAD' ? undefined : body.subarray(range.start, range.end + 1))
      return
    }
    if (compressible && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      const zipped = await gzipAsync(body)
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': zipped.byteLength })
      res.end(req.method === 'HEAD' ? undefined : zipped)
      return
    }
    res.writeHead(200, { 'Content-Length': body.byteLength })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const sendJson = (req: IncomingMessage, res: ServerResponse, value: unknown) =>
    sendBytes(req, res, Buffer.from(JSON.stringify(value)), 'application/json', true)

  /** Streams the file at `path`, which must lie inside `root` once symlinks are resolved. */
  async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, root: string, type: string): Promise<boolean> {
    const real = await realpath(path).catch(() => undefined)
    if (real === undefined || !real.startsWith(root + sep)) return false
    const info = await stat(real)
    const etag = `"${info.ino.toString(36)}-${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`
    res.setHeader('ETag', etag)
    res.setHeader('Cache-Control', 'no-cache')
    res.setHeader('Accept-Ranges', 'bytes')
    res.setHeader('Content-Type', type)
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304).end()
      return true
    }
    const range = byteRange(req.headers.range, info.size)
    if (range === null) {
      res.writeHead(416, { 'Content-Range': `bytes */${info.size}` }).end()
      return true
    }
    const { start, end } = range ?? { start: 0, end: info.size - 1 }
    const headers = { 'Content-Length': Math.max(0, end - start + 1), ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}) }
    res.writeHead(range ? 206 : 200, headers)
    if (req.method === 'HEAD' || info.size === 0) {
      res.end()
      return true
    }
    const stream = createReadStream(real, { start, end })
    stream.on('error', () => res.destroy())
    res.on('close', () => stream.destroy())
    stream.pipe(res)
    return true
  }

  async function sendChunk(req: IncomingMessage, res: ServerResponse, source: ChunkSource, root: string): Promise<boolean> {
    if (source === undefined) return false
    if (source.kind === 'file') return sendFile(req, res, source.path, root, 'application/octet-stream')
    await sendBytes(req, res, source.data, 'application/octet-stream', false)
    return true
  }

  function authorized(req: IncomingMessage, url: URL): boolean {
    if (token === undefined) return true
    const given = url.searchParams.get('token') ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
    const [a, b] = [Buffer.from(given), Buffer.from(token)]
    return a.length === b.length && timingSafeEqual(a, b)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Content-Encoding, ETag, Accept-Ranges')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Headers': 'Range, If-None-Match, Authorization, Content-Type', 'Access-Control-Max-Age': '86400' })
      res.end()
      return
    }
    const notFound = () => void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD, OPTIONS' }).end()
      return
    }
    const url = new URL(req.url ?? '/', 'http://server')
    if (!authorized(req, url)) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer' }).end('A valid token is required\n')
      return
    }
    if (url.pathname === '/') {
      const index = viewer.get('index.html')
      if (!index || !(await sendFile(req, res, index, await realpath(join(index, '..')), CONTENT_TYPES.html))) notFound()
      return
    }
    let segments: string[]
    try {
      segments = url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s))
    } catch {
      return notFound()
    }
    if (segments.some((s) => s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s))) return notFound()
    if (segments[0] === 'viewer' && segments.length === 2) {
      const file = viewer.get(segments[1])
      const type = CONTENT_TYPES[segments[1].split('.').pop() ?? ''] ?? 'application/octet-stream'
      if (!file || !(await sendFile(req, res, file, await realpath(join(file, '..')), type))) notFound()
      return
    }
    if (segments[0] === 'api' && segments[1] === 'datasets' && segments.length === 2) return sendJson(req, res, listing())
    const metadata = metadataAt(segments)
    if (metadata !== undefined) return sendJson(req, res, metadata)
    const [name, layerName, magName, ...key] = segments
    const entry = served.get(name)
    const array = entry?.layers.get(layerName)?.arrays.get(magName)
    if (!entry || !array) return notFound()
    const source = await read(() => array.chunk(key))
    if (!(await sendChunk(req, res, source, entry.root))) notFound()
  }

  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(error as Error).message}\n`)
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    datasets: new Map([...served].map(([name, s]) => [name, s.dataset])),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
