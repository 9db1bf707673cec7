// `wk info <dataset>`: name, scale, layers and mags of a dataset, with the size on disk.
import type { Command } from 'commander'
import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Dataset, Mag, type MagView, SegmentationLayer } from '../../index'
import { defineCommand, formatBytes, formatVec, openDataset, say } from './common'

export interface MagInfo {
  mag: string
  path: string
  dataFormat: string
  chunkShape: number[]
  shardShape: number[]
  compression: string
  /** Shard files (WKW data files, Zarr shards or chunks); null over HTTP, where nothing can be listed. */
  files: number | null
  /** Bytes allocated on disk (sparse raw files count only what they use). */
  sizeOnDisk: number
}

export interface LayerInfo {
  name: string
  category: string
  dtypePerChannel: string
  dtypePerLayer: string
  numChannels: number
  boundingBox: { topLeft: number[]; size: number[] }
  largestSegmentId?: number
  mags: MagInfo[]
}

export interface DatasetInfo {
  name: string
  path: string
  scale: number[]
  layers: LayerInfo[]
}

/** Allocated bytes below `dir` (symlinks followed). */
async function usage(dir: string): Promise<number> {
  let bytes = 0
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return bytes
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    const info = await stat(path).catch(() => undefined)
    if (!info) continue
    bytes += info.isDirectory() ? await usage(path) : info.blocks * 512
  }
  return bytes
}

/** The shard files of a mag; null on a web server, which cannot list them. */
async function countShards(view: MagView): Promise<number | null> {
  if (/^https?:\/\//i.test(view.path)) return null
  let files = 0
  for await (const _ of view.getBoundingBoxesOnDisk()) files++
  return files
}

export async function datasetInfo(dataset: Dataset): Promise<DatasetInfo> {
  const layers: LayerInfo[] = []
  for (const layer of dataset.layers.values()) {
    const mags: MagInfo[] = []
    const views = [...layer.mags.values()].sort((a, b) => Mag.compare(a.mag, b.mag))
    for (const view of views) {
      const { dataFormat, chunkShape, shardShape, compression } = view.info
      mags.push({
        mag: view.name,
        path: view.path,
        dataFormat,
        chunkShape: [...chunkShape],
        shardShape: [...shardShape],
        compression,
        files: await countShards(view),
        sizeOnDisk: await usage(view.path),
      })
    }
    const box = layer.boundingBox
    layers.push({
      name: layer.name,
      category: layer.category,
      dtypePerChannel: layer.dtypePerChannel,
      dtypePerLayer: layer.dtypePerLayer,
      numChannels: layer.numChannels,
      boundingBox: { topLeft: [...box.topLeft], size: [...box.size] },
      ...(layer instanceof SegmentationLayer ? { largestSegmentId: layer.largestSegmentId } : {}),
      mags,
    })
  }
  return { name: dataset.name, path: dataset.path, scale: [...dataset.scale], layers }
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd())
}

/** The text form of `wk info`. */
export function formatInfo(info: DatasetInfo): string[] {
  const lines = [`Dataset ${info.name}`, `  path:  ${info.path}`, `  scale: ${formatVec(info.scale)} nm per voxel`, `  layers: ${info.layers.length}`]
  for (const layer of info.layers) {
    lines.push('', `Layer "${layer.name}"`)
    lines.push(`  category:     ${layer.category}`)
    lines.push(`  dtype:        ${layer.dtypePerChannel} per channel, ${layer.dtypePerLayer} per layer`)
    lines.push(`  channels:     ${layer.numChannels}`)
    lines.push(`  bounding box: topLeft ${formatVec(layer.boundingBox.topLeft)}, size ${formatVec(layer.boundingBox.size)}`)
    if (layer.largestSegmentId !== undefined) lines.push(`  largest segment id: ${layer.largestSegmentId}`)
    if (layer.mags.length === 0) {
      lines.push('  mags:         none')
      continue
    }
    const total = layer.mags.reduce((n, m) => n + m.sizeOnDisk, 0)
    lines.push(`  mags:         ${layer.mags.length} (${formatBytes(total)} on disk)`)
    const rows = [['mag', 'format', 'chunk', 'shard', 'compression', 'files', 'size on disk']]
    const shape = (v: number[]) => (v.every((c) => c === v[0]) ? `${v[0]}³` : v.join('×'))
    for (const m of layer.mags) {
      rows.push([m.mag, m.dataFormat, shape(m.chunkShape), shape(m.shardShape), m.compression, m.files === null ? '?' : String(m.files), formatBytes(m.sizeOnDisk)])
    }
    lines.push(...table(rows).map((r) => `    ${r}`))
  }
  return lines
}

export function register(program: Command): void {
  defineCommand(program, 'info', 'Show name, scale, layers and mags of a dataset, with their size on disk')
    .argument('<dataset>', 'dataset directory or URL (s3://…, https://…)')
    .option('--json', 'print the same as JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const info = await datasetInfo(await openDataset(path))
      if (opts.json) say(JSON.stringify(info, null, 2))
      else for (const line of formatInfo(info)) say(line)
    })
}
