/// <reference lib="dom" />
// Reading plane slices of a mag's Zarr v3 array with zarrita: opens arrays once, fetches only the chunks a slice
// region touches (zarr.get does the chunk selection, sharding and codecs), and keeps small LRU caches of decoded
// chunks and decoded slices so that scrolling through a chunk's depth does not refetch or redecode it.

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

const CHUNK_CACHE_BYTES = 128 * 1024 * 1024
const SLICE_CACHE_BYTES = 48 * 1024 * 1024
const MAX_CONCURRENT_CHUNKS = 12

const chunkCache = new LruCache<AnyChunk>(CHUNK_CACHE_BYTES, (c) => (c.data as NumericArray).byteLength ?? 0)
const chunksInFlight = new Map<string, Promise<AnyChunk>>()
const sliceCache = new LruCache<SliceData>(SLICE_CACHE_BYTES, (s) => s.data.byteLength)
const slicesInFlight = new Map<string, Promise<SliceData>>()
const arrays = new Map<string, Promise<AnyArray>>()

/** Decoded-chunk cache in front of zarrita's chunk reader, shared by all reads of one array URL. */
const withChunkCache = zarr.defineArrayExtension((array: AnyArray, opts: { url: string }) => ({
  async getChunk(coords: number[], options?: zarr.GetOptions) {
    const key = `${opts.url}#${coords.join(',')}`
    const hit = chunkCache.get(key)
    if (hit !== undefined) return hit
    let pending = chunksInFlight.get(key)
    if (pending === undefined) {
      options?.signal?.throwIfAborted()
      // The signal is not passed down: the fetch may be shared with later reads and its result is cached anyway.
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
  },
}))

export function openArray(url: string): Promise<AnyArray> {
  let pending = arrays.get(url)
  if (pending === undefined) {
    const href = new URL(url, location.href).href
    const store = new zarr.FetchStore(href, { fetch: tokenFetch })
    pending = zarr.open
      .v3(zarr.root(store), { kind: 'array' })
      .then((array) => withChunkCache(array as AnyArray, { url }) as AnyArray)
    pending.catch(() => arrays.delete(url))
    arrays.set(url, pending)
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

/** A queue of chunk reads with bounded concurrency that stops starting new reads once `signal` is aborted. */
function limitedQueue(limit: number, signal?: AbortSignal) {
  const waiting: Array<() => void> = []
  const all: Promise<void>[] = []
  let active = 0
  const pump = () => {
    while (active < limit && waiting.length > 0) {
      active++
      waiting.shift()!()
    }
  }
  return {
    add(fn: () => Promise<void>) {
      all.push(
        new Promise<void>((resolve, reject) => {
          waiting.push(() => {
            const run = signal?.aborted ? Promise.reject(signal.reason) : fn()
            run.then(resolve, reject).finally(() => {
              active--
              pump()
            })
          })
          pump()
        }),
      )
    },
    onIdle: () => Promise.all(all),
  }
}

function sliceKey(r: SliceRequest): string {
  return `${r.url}|${r.axes.u}${r.axes.v}${r.axes.w}|${r.w}|${r.u.join(',')}|${r.v.join(',')}|${r.channels}`
}

/** The cached slice for `request`, if any (synchronous; used for the hover read-out). */
export function cachedSlice(request: SliceRequest): SliceData | undefined {
  return sliceCache.get(sliceKey(request))
}

export function readSlice(request: SliceRequest, signal?: AbortSignal): Promise<SliceData> {
  const key = sliceKey(request)
  const hit = sliceCache.get(key)
  if (hit !== undefined) return Promise.resolve(hit)
  let pending = slicesInFlight.get(key)
  if (pending === undefined) {
    pending = fetchSlice(request, signal).finally(() => slicesInFlight.delete(key))
    pending.then((s) => sliceCache.set(key, s), () => undefined)
    slicesInFlight.set(key, pending)
  }
  return pending
}

async function fetchSlice(request: SliceRequest, signal?: AbortSignal): Promise<SliceData> {
  const array = await openArray(request.url)
  const order = axisOrder(array)
  const selection: (number | zarr.Slice)[] = array.shape.map(() => 0)
  const { axes } = request
  if (order.c >= 0) selection[order.c] = request.channels > 1 ? zarr.slice(0, request.channels) : 0
  selection[order.xyz[axes.u]] = zarr.slice(...request.u)
  selection[order.xyz[axes.v]] = zarr.slice(...request.v)
  selection[order.xyz[axes.w]] = request.w
  const out = (await zarr.get(array, selection, {
    signal,
    createQueue: () => limitedQueue(MAX_CONCURRENT_CHUNKS, signal),
  })) as AnyChunk
  // The result keeps the selected (sliced) axes in array order; find where c, u and v went.
  const kept = selection.map((s, i) => (typeof s === 'number' ? -1 : i)).filter((i) => i >= 0)
  const pos = (arrayAxis: number) => kept.indexOf(arrayAxis)
  const cPos = order.c >= 0 && request.channels > 1 ? pos(order.c) : -1
  const uPos = pos(order.xyz[axes.u])
  const vPos = pos(order.xyz[axes.v])
  return {
    data: out.data as NumericArray,
    dtype: array.dtype,
    channels: cPos >= 0 ? out.shape[cPos] : 1,
    nu: out.shape[uPos],
    nv: out.shape[vPos],
    strideC: cPos >= 0 ? out.stride[cPos] : 0,
    strideU: out.stride[uPos],
    strideV: out.stride[vPos],
  }
}

/** Element (c, i, j) of a slice as a number (64-bit integers lose precision above 2^53). */
export function valueAt(s: SliceData, c: number, i: number, j: number): number {
  return Number(s.data[c * s.strideC + i * s.strideU + j * s.strideV])
}

/** Element (c, i, j) exactly: bigint for 64-bit integer arrays. */
export function exactValueAt(s: SliceData, c: number, i: number, j: number): number | bigint {
  return s.data[c * s.strideC + i * s.strideU + j * s.strideV]
}
