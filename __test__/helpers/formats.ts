// The storage formats every format-independent test runs on, and helpers to run a test once per
// format.
import test, { type ExecutionContext } from 'ava'
import { existsSync, readdirSync } from 'node:fs'
import type { AddMagOptions, DataFormat, Dataset, Layer, MagView } from '../../index'

export const FORMATS: readonly DataFormat[] = ['wkw', 'zarr3', 'zarr']

type Body = (t: ExecutionContext, format: DataFormat) => Promise<void> | void

/** Registers `body` once per format, titled "<format>: <title>". */
export function formatTest(title: string, body: Body): void {
  for (const format of FORMATS) test(`${format}: ${title}`, (t) => body(t, format))
}

/** `formatTest` for tests that must not overlap others (they watch process-wide warnings). */
export function formatSerial(title: string, body: Body): void {
  for (const format of FORMATS) test.serial(`${format}: ${title}`, (t) => body(t, format))
}

/**
 * Mag options of a test, written in WKW's terms (blockLen, fileLen), in `format`: the same chunk
 * and shard edges; Zarr v2, which has no shards, gets the shard edge as its chunk when the test
 * gives one, or the chunk edge where the shard edge exceeds 256 (a chunk must stay below 256 MiB).
 */
function optionsIn(format: DataFormat, opts: AddMagOptions = {}): AddMagOptions {
  if (format !== 'zarr' || (opts.blockLen === undefined && opts.fileLen === undefined)) return opts
  const { blockLen = 32, fileLen = 1, ...rest } = opts
  return { ...rest, chunkShape: blockLen * fileLen <= 256 ? blockLen * fileLen : blockLen }
}

function layerIn(layer: Layer, format: DataFormat): Layer {
  const [add, getOrAdd] = [layer.addMag.bind(layer), layer.getOrAddMag.bind(layer)]
  layer.addMag = (mag, opts) => add(mag, optionsIn(format, opts))
  layer.getOrAddMag = (mag, opts) => getOrAdd(mag, optionsIn(format, opts))
  return layer
}

/** `ds`, whose new layers are stored in `format` unless a test says otherwise. */
export function inFormat(ds: Dataset, format: DataFormat): Dataset {
  const [add, getOrAdd] = [ds.addLayer.bind(ds), ds.getOrAddLayer.bind(ds)]
  ds.addLayer = async (name, category, opts = {}) => layerIn(await add(name, category, { dataFormat: format, ...opts }), format)
  ds.getOrAddLayer = async (name, category, opts = {}) => layerIn(await getOrAdd(name, category, { dataFormat: format, ...opts }), format)
  return ds
}

/** A compressed mag 1 of `layer` whose shards hold `edge`³ voxels, in chunks of 32³ where the format has both. */
export function compressedMag(layer: Layer, format: DataFormat, edge: number): Promise<MagView> {
  if (format === 'zarr') return layer.addMag(1, { chunkShape: edge, compress: true })
  return layer.addMag(1, { chunkShape: 32, shardShape: edge, compress: true })
}

const METADATA = new Set(['header.wkw', 'zarr.json', '.zarray', '.wklock'])

/** The data files (shards) under the mag directory `dir`, without its metadata and lock. */
export function dataFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile() && !METADATA.has(e.name))
    .map((e) => e.name)
}

/** Whether the directory `dir` holds an array's metadata (of any format). */
export function holdsArray(dir: string): boolean {
  return ['header.wkw', 'zarr.json', '.zarray'].some((name) => existsSync(`${dir}/${name}`))
}

/** The mag entries of a layer of the properties, whichever form they take. */
export function magEntriesOf(layer: { mags?: unknown[]; wkwResolutions?: unknown[] }): { mag?: number[]; resolution?: number[] }[] {
  return (layer.mags ?? layer.wkwResolutions ?? []) as { mag?: number[]; resolution?: number[] }[]
}
