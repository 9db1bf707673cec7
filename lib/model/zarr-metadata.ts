// The Zarr group files that today's Python library keeps next to Zarr layers: a group
// `zarr.json` (Zarr v3) or `.zgroup` (Zarr v2) at the dataset root, and per layer a group with
// OME-NGFF multiscales metadata (0.5 in `zarr.json`, 0.4 in `.zattrs`), so that OME-Zarr
// viewers open the layer directly.
import { isAbsolute } from 'node:path'
import { exists, readText, writeFileAtomically } from '../storage/files'
import type { Mag } from '../geometry/mag'
import { type DatasetJson, type LayerJson, magEntries, scaleOf } from './properties'
import { isInside, joinPath, relativePath } from '../storage/location'

const SPACE_AXES = ['x', 'y', 'z'] as const

function omeAxes() {
  return [{ name: 'c', type: 'channel' }, ...SPACE_AXES.map((name) => ({ name, type: 'space', unit: 'nanometer' }))]
}

/** OME-NGFF multiscales of a layer whose mags `mags` are at `path` (relative to the layer's group). */
export function omeMultiscale(scale: readonly number[], mags: { path: string; mag: Mag }[]) {
  const datasets = mags.map(({ path, mag }) => ({ path, coordinateTransformations: [{ type: 'scale', scale: [1, ...mag.toArray().map((m, i) => m * scale[i])] }] }))
  return { axes: omeAxes(), datasets }
}

/** The layer's mags that lie inside its directory, by their path relative to it. */
function magsInside(datasetPath: string, layer: LayerJson): { path: string; mag: Mag }[] {
  const layerPath = joinPath(datasetPath, layer.name)
  return magEntries(layer).flatMap(({ mag, path }) => {
    const dir = path ? (isAbsolute(path) ? path : joinPath(datasetPath, path)) : joinPath(layerPath, mag.toLayerName())
    return isInside(layerPath, dir) ? [{ path: relativePath(layerPath, dir) as string, mag }] : []
  })
}

/** Writes `value` as JSON to `path` unless the file already says the same. */
async function writeJson(path: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 4)
  if ((await exists(path)) && (await readText(path).catch(() => undefined)) === text) return
  await writeFileAtomically(path, text)
}

/** Writes the group files of every Zarr layer of `json` whose directory exists. */
export async function writeZarrMetadata(datasetPath: string, json: DatasetJson): Promise<void> {
  const formats = new Set(json.dataLayers.map((l) => l.dataFormat))
  if (formats.has('zarr')) await writeJson(joinPath(datasetPath, '.zgroup'), { zarr_format: '2' })
  if (formats.has('zarr3')) await writeJson(joinPath(datasetPath, 'zarr.json'), { zarr_format: 3, node_type: 'group' })
  for (const layer of json.dataLayers) {
    const layerPath = joinPath(datasetPath, layer.name)
    if ((layer.dataFormat !== 'zarr' && layer.dataFormat !== 'zarr3') || !(await exists(layerPath))) continue
    const multiscale = omeMultiscale(scaleOf(json), magsInside(datasetPath, layer))
    if (layer.dataFormat === 'zarr3') {
      await writeJson(joinPath(layerPath, 'zarr.json'), { zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', multiscales: [multiscale] } } })
    } else {
      await writeJson(joinPath(layerPath, '.zgroup'), { zarr_format: '2' })
      await writeJson(joinPath(layerPath, '.zattrs'), { multiscales: [{ version: '0.4', ...multiscale }] })
    }
  }
}
