/// <reference lib="dom" />
// Reading plane slices of a mag's Zarr v3 array: zarrita opens the array and fetches/decodes chunks (sharding,
// codecs); this module works out which chunks the slice region touches, fetches only those (all at once, so that
// adjacent ranges of a shard coalesce into one request, at most 24 HTTP requests in flight), copies the slice's
// voxels out of them, and keeps small LRU caches: encoded bytes, decoded chunks (so that scrolling through a
// chunk's depth neither refetches nor redecodes) and decoded slices.

import * as zarr from 'zarrita'
import { tokenFetch } from './api'
import { LruCache } from './lru'
import type { PlaneAxes } from './geometry'

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array

type AnyArray = zarr.Array<zarr.DataType, zarr.Readable>
type AnyChunk = zarr.Chunk<zarr.DataType>

/** [start, stop, step] in voxels of the array's mag, stop exclusive. */
export type Range = [number, number, number]

export interface SliceRequest {
  /** The mag's array URL (as listed by /api/datasets). */
  url: string
  axes: PlaneAxes
  /** Index along the slice axis, in voxels of this mag. */
  w: number
  u: Range
  v: Range
  /** Read channels 0 … channels-1. */
  channels: number
}

/** A decoded slice: element (c, i, j) is `data[c * strideC + i * strideU + j * strideV]`. */
export interface SliceData {
  data: NumericArray
  dtype: string
  channels: number
  nu: number
  nv: number
  strideC: number
  strideU: number
  strideV: number
}

const BYTE_CACHE_BYTES = 64 * 1024 * 1024
const CHUNK_CACHE_BYTES = 160 * 1024 * 1024
const SLICE_CACHE_BYTES = 32 * 1024 * 1024
/** A slice needing more chunks than this is refused (zoomed far out at a fine mag): pick a coarser mag. */
const MAX_CHUNKS_PER_SLICE = 4096

const byteCache = new LruCache<Uint8Array | undefined>(BYTE_CACHE_BYTES, (b) => (b?.byteLength ?? 0) + 64)
const chunkCache = new LruCache<AnyChunk>(CHUNK_CACHE_BYTES, (c) => (c.data as NumericArray).byteLength)
const chunksInFlight = new Map<string, Promise<AnyChunk>>()
const sliceCache = new LruCache<SliceData>(SLICE_CACHE_BYTES, (s) => s.data.byteLength)
const slicesInFlight = new Map<string, Promise<SliceData>>()
const arrays = new Map<string, Promise<AnyArray>>()

/** Keys of reads that found nothing (missing chunks or shards). */
const missing = new Set<string>()
/** The LRU as zarrita's ByteCache (it distinguishes "cached as missing" from "not cached"). */
const byteCacheAdapter = {
  has: (key: string) => byteCache.get(key) !== undefined || missing.has(key),
  get: (key: string) => byteCache.get(key),
  set: (key: string, value: Uint8Array | undefined) => {
    if (value === undefined) missing.add(key)
    else byteCache.set(key, value)
  },
}

/** At most this many data requests are in flight at once (browsers fail fetches beyond a few hundred). */
const MAX_CONCURRENT_FETCHES = 24
let fetchesInFlight = 0
const fetchQueue: Array<() => void> = []

async function limitedFetch(request: Request): Promise<Response> {
  if (fetchesInFlight >= MAX_CONCURRENT_FETCHES) await new Promise<void>((resolve) => fetchQueue.push(resolve))
  else fetchesInFlight++
  try {
    const response = await tokenFetch(request)
    if (request.method !== 'HEAD') return response
    // zarrita only reads the headers of the HEAD before a shard-index read; finish the (empty) body so the
    // browser does not report the request as aborted.
    await response.arrayBuffer()
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers })
  } finally {
    // Hand the slot to the next waiting request, or free it.
    const next = fetchQueue.shift()
    if (next !== undefined) next()
    else fetchesInFlight--
  }
}

export function openArray(url: string): Promise<AnyArray> {
  let pending = arrays.get(url)
  if (pending === undefined) {
    const href = new URL(url, location.href).href
    // Reads of adjacent byte ranges of one shard issued together become one HTTP range request.
    const fetchStore = zarr.withRangeCoalescing(new zarr.FetchStore(href, { fetch: limitedFetch }), { coalesceSize: 0 })
    const store = zarr.withByteCaching(fetchStore, {
      cache: byteCacheAdapter,
      // Chunk bytes and shard-index reads; keys are made unique per array.
      keyFor: (path, range) =>
        range === undefined
          ? `${href}${path}`
          : 'suffixLength' in range
            ? `${href}${path}#-${range.suffixLength}`
            : `${href}${path}#${range.offset}+${range.length}`,
    })
    pending = zarr.open.v3(zarr.root(store), { kind: 'array' }) as Promise<AnyArray>
    pending.catch(() => arrays.delete(url))
    arrays.set(url, pending)
  }
  return pending
}

/** A decoded chunk (inner chunk for sharded arrays), from the cache or fetched once even if asked for twice. */
function getChunk(url: string, array: AnyArray, coords: number[]): Promise<AnyChunk> {
  const key = `${url}#${coords.join(',')}`
  const hit = chunkCache.get(key)
  if (hit !== undefined) return Promise.resolve(hit)
  let pending = chunksInFlight.get(key)
  if (pending === undefined) {
    pending = array.getChunk(coords)
    chunksInFlight.set(key, pending)
    pending.then(
      (chunk) => {
        chunksInFlight.delete(key)
        chunkCache.set(key, chunk)
      },
      () => chunksInFlight.delete(key),
    )
  }
  return pending
}

/** Array axis (0-based) of c, x, y, z from `dimension_names`; c is -1 when the array has no channel axis. */
export function axisOrder(array: AnyArray): { c: number; xyz: [number, number, number] } {
  const names = array.dimensionNames ?? (array.shape.length === 4 ? ['c', 'x', 'y', 'z'] : ['x', 'y', 'z'])
  const xyz = (['x', 'y', 'z'] as const).map((n) => names.indexOf(n)) as [number, number, number]
  if (xyz.some((i) => i < 0)) throw new Error(`array dimensions ${JSON.stringify(names)} lack x, y or z`)
  return { c: names.indexOf('c'), xyz }
}

/** Resolves like `promise`, or rejects as soon as `signal` is aborted (the work itself goes on and is cached). */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function sliceKey(r: SliceRequest): string {
  return `${r.url}|${r.axes.u}${r.axes.v}${r.axes.w}|${r.w}|${r.u.join(',')}|${r.v.join(',')}|${r.channels}`
}

/** A slice, from the cache or fetched; `signal` only stops waiting (the fetch completes and is cached). */
export function readSlice(request: SliceRequest, signal?: AbortSignal): Promise<SliceData> {
  const key = sliceKey(request)
  const hit = sliceCache.get(key)
  if (hit !== undefined) return Promise.resolve(hit)
  let pending = slicesInFlight.get(key)
  if (pending === undefined) {
    pending = fetchSlice(request).finally(() => slicesInFlight.delete(key))
    pending.then((s) => sliceCache.set(key, s), () => undefined)
    slicesInFlight.set(key, pending)
  }
  return abortable(pending, signal)
}

/** Selected indices along one axis, grouped by the chunk they fall in. */
function chunkRuns(range: Range, chunk: number, limit: number): Array<{ chunk: number; first: number; count: number }> {
  const [start, stop, step] = range
  const runs: Array<{ chunk: number; first: number; count: number }> = []
  for (let k = 0, idx = start; idx < stop; k++, idx += step) {
    if (idx >= limit) break
    const c = Math.floor(idx / chunk)
    const last = runs[runs.length - 1]
    if (last !== undefined && last.chunk === c) last.count++
    else runs.push({ chunk: c, first: k, count: 1 })
  }
  return runs
}

async function fetchSlice(request: SliceRequest): Promise<SliceData> {
  const array = await openArray(request.url)
  const order = axisOrder(array)
  const { axes } = request
  const aU = order.xyz[axes.u]
  const aV = order.xyz[axes.v]
  const aW = order.xyz[axes.w]
  const [u0, , stepU] = request.u
  const [v0, , stepV] = request.v
  const nu = Math.max(0, Math.ceil((request.u[1] - u0) / stepU))
  const nv = Math.max(0, Math.ceil((request.v[1] - v0) / stepV))
  const channels = order.c >= 0 ? Math.min(request.channels, array.shape[order.c]) : 1
  const cs = array.chunks
  const Ctor = typedArrayFor(array.dtype)
  const data = new Ctor(channels * nu * nv)
  const out: SliceData = { data, dtype: array.dtype, channels, nu, nv, strideC: nu * nv, strideU: 1, strideV: nu }
  if (nu === 0 || nv === 0 || request.w < 0 || request.w >= array.shape[aW]) return out

  const runsU = chunkRuns(request.u, cs[aU], array.shape[aU])
  const runsV = chunkRuns(request.v, cs[aV], array.shape[aV])
  const chunkCount = runsU.length * runsV.length
  if (chunkCount > MAX_CHUNKS_PER_SLICE) {
    throw new Error(`this view needs ${chunkCount} chunks of ${request.url}; choose a coarser mag or zoom in`)
  }
  const cw = Math.floor(request.w / cs[aW])
  const lw = request.w - cw * cs[aW]
  const tasks: Array<() => Promise<void>> = []
  for (let c = 0; c < channels; c++) {
    for (const ru of runsU) {
      for (const rv of runsV) {
        const coords = array.shape.map(() => 0)
        coords[aU] = ru.chunk
        coords[aV] = rv.chunk
        coords[aW] = cw
        if (order.c >= 0) coords[order.c] = Math.floor(c / cs[order.c])
        tasks.push(async () => {
          const chunk = await getChunk(request.url, array, coords)
          const src = chunk.data as NumericArray
          const st = chunk.stride
          let base = lw * st[aW]
          if (order.c >= 0) base += (c % cs[order.c]) * st[order.c]
          const oU = ru.chunk * cs[aU]
          const oV = rv.chunk * cs[aV]
          // Copy the run's voxels: a tight loop over typed arrays, no per-element allocation.
          for (let kv = rv.first; kv < rv.first + rv.count; kv++) {
            const sv = base + (v0 + kv * stepV - oV) * st[aV]
            const dRow = c * nu * nv + kv * nu
            for (let ku = ru.first; ku < ru.first + ru.count; ku++) {
              ;(data as Uint8Array)[dRow + ku] = (src as Uint8Array)[sv + (u0 + ku * stepU - oU) * st[aU]]
            }
          }
        })
      }
    }
  }
  // All chunk reads start at once, so that reads of adjacent chunks of a shard are merged into one request.
  await Promise.all(tasks.map((task) => task()))
  return out
}

type NumericCtor = { new (length: number): NumericArray }

function typedArrayFor(dtype: string): NumericCtor {
  const ctors: Record<string, NumericCtor> = {
    uint8: Uint8Array,
    int8: Int8Array,
    uint16: Uint16Array,
    int16: Int16Array,
    uint32: Uint32Array,
    int32: Int32Array,
    float32: Float32Array,
    float64: Float64Array,
    uint64: BigUint64Array,
    int64: BigInt64Array,
  }
  const ctor = ctors[dtype]
  if (ctor === undefined) throw new Error(`unsupported data type ${dtype}`)
  return ctor
}

/** Element (c, i, j) exactly: bigint for 64-bit integer arrays. */
export function exactValueAt(s: SliceData, c: number, i: number, j: number): number | bigint {
  return s.data[c * s.strideC + i * s.strideU + j * s.strideV]
}
