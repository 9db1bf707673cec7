// The Zarr group files that today's Python library keeps next to Zarr layers: a group
// `zarr.json` (Zarr v3) or `.zgroup` (Zarr v2) at the dataset root, and per layer a group with
// OME-NGFF multiscales metadata (0.5 in `zarr.json`, 0.4 in `.zattrs`), so that OME-Zarr
// viewers open the layer directly.
import { join, resolve } from 'node:path'
import { exists, readText, writeFileAtomically } from '../storage/files'
import { isInside } from './paths'
import { type DatasetJson, type LayerJson, magEntries, scaleOf } from './properties'

const SPACE_AXES = ['x', 'y', 'z'] as const

function omeAxes() {
  return [{ name: 'c', type: 'channel' }, ...SPACE_AXES.map((name) => ({ name, type: 'space', unit: 'nanometer' }))]
}

/** One `datasets` entry per mag of the layer that lies inside it: its directory name and scale. */
function omeDatasets(datasetPath: string, json: DatasetJson, layer: LayerJson) {
  const scale = scaleOf(json)
  const layerPath = join(datasetPath, layer.name)
  return magEntries(layer).flatMap(({ mag, path }) => {
    const dir = path ? resolve(datasetPath, path) : join(layerPath, mag.toLayerName())
    if (!isInside(layerPath, dir)) return []
    return [{ path: dir.slice(resolve(layerPath).length + 1), coordinateTransformations: [{ type: 'scale', scale: [1, ...mag.toArray().map((m, i) => m * scale[i])] }] }]
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
  if (formats.has('zarr')) await writeJson(join(datasetPath, '.zgroup'), { zarr_format: '2' })
  if (formats.has('zarr3')) await writeJson(join(datasetPath, 'zarr.json'), { zarr_format: 3, node_type: 'group' })
  for (const layer of json.dataLayers) {
    const layerPath = join(datasetPath, layer.name)
    if ((layer.dataFormat !== 'zarr' && layer.dataFormat !== 'zarr3') || !(await exists(layerPath))) continue
    const multiscale = { axes: omeAxes(), datasets: omeDatasets(datasetPath, json, layer) }
    if (layer.dataFormat === 'zarr3') {
      await writeJson(join(layerPath, 'zarr.json'), { zarr_format: 3, node_type: 'group', attributes: { ome: { version: '0.5', multiscales: [multiscale] } } })
    } else {
      await writeJson(join(layerPath, '.zgroup'), { zarr_format: '2' })
      await writeJson(join(layerPath, '.zattrs'), { multiscales: [{ version: '0.4', ...multiscale }] })
    }
  }
}
