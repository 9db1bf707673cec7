// `wk info <dataset>`: name, scale, layers and mags of a dataset, with the size on disk.
import type { Command } from 'commander'
import type { Dirent } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Dataset, Mag, SegmentationLayer } from '../../index'
import { defineCommand, formatBytes, formatVec, openDataset, say } from './common'

export interface MagInfo {
  mag: string
  path: string
  blockLen: number
  fileLen: number
  blockType: string
  /** Data files (`*.wkw` besides `header.wkw`). */
  files: number
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

/** Allocated bytes and data files below `dir` (symlinks followed). */
async function usage(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0
  let files = 0
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return { bytes, files }
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    const info = await stat(path).catch(() => undefined)
    if (!info) continue
    if (info.isDirectory()) {
      const sub = await usage(path)
      bytes += sub.bytes
      files += sub.files
    } else {
      bytes += info.blocks * 512
      if (entry.name.endsWith('.wkw') && entry.name !== 'header.wkw') files++
    }
  }
  return { bytes, files }
}

export async function datasetInfo(dataset: Dataset): Promise<DatasetInfo> {
  const layers: LayerInfo[] = []
  for (const layer of dataset.layers.values()) {
    const mags: MagInfo[] = []
    const views = [...layer.mags.values()].sort((a, b) => Mag.compare(a.mag, b.mag))
    for (const view of views) {
      const { bytes, files } = await usage(view.path)
      const { blockLen, fileLen, blockType } = view.header
      mags.push({ mag: view.name, path: view.path, blockLen, fileLen, blockType, files, sizeOnDisk: bytes })
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
    const rows = [['mag', 'block len', 'file len', 'block type', 'files', 'size on disk']]
    for (const m of layer.mags) {
      rows.push([m.mag, String(m.blockLen), String(m.fileLen), m.blockType, String(m.files), formatBytes(m.sizeOnDisk)])
    }
    lines.push(...table(rows).map((r) => `    ${r}`))
  }
  return lines
}

export function register(program: Command): void {
  defineCommand(program, 'info', 'Show name, scale, layers and mags of a dataset, with their size on disk')
    .argument('<dataset>', 'dataset directory')
    .option('--json', 'print the same as JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const info = await datasetInfo(await openDataset(path))
      if (opts.json) say(JSON.stringify(info, null, 2))
      else for (const line of formatInfo(info)) say(line)
    })
}
