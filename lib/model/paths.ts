// Confinement: every layer name, mag name and mag path, from the properties file or from a
// caller, is checked before it becomes a path, so that nothing outside the dataset is written,
// moved or deleted.
import { isAbsolute } from 'node:path'
import { WebknossosError, invalidArgument } from '../errors'
import { isInside, isRemote, joinPath, relativePath, resolvePath } from '../storage/location'

/** Where a name or path came from: a bad one from a caller is an invalid argument, from a file a corrupt file. */
export type Origin = { from: 'argument' } | { from: 'properties'; file: string }

function reject(origin: Origin, message: string): WebknossosError {
  return origin.from === 'argument'
    ? invalidArgument(message)
    : new WebknossosError('ERR_WK_CORRUPT', `Invalid properties file "${origin.file}": ${message}`)
}

/**
 * Layer names become directory names of the dataset: non-empty, without "/", "\\" or NUL, and
 * not starting with "." (which also rules out "." and "..", and hidden files), as the
 * WEBKNOSSOS server requires.
 */
export function checkLayerName(name: unknown, origin: Origin = { from: 'argument' }): string {
  if (typeof name !== 'string' || name === '' || /[/\\\0]/.test(name) || name.startsWith('.')) {
    throw reject(origin, `a layer name must be non-empty, without "/", "\\\\" or NUL, and not start with ".", but is ${JSON.stringify(name)}`)
  }
  return name
}

/** A mag's directory and whether the layer owns it (may write, move and delete it). */
export interface MagLocation {
  /** Relative to the layer directory (follows renames of the layer), or the stored path as resolved. */
  directory: { name: string; relativeTo: 'layer' } | { path: string; relativeTo: 'absolute' }
  /**
   * Inside the layer's directory: created by this layer, or a symlink the user placed there. A
   * mag elsewhere (another layer's, another dataset's) is read only through this layer, and
   * deleting it only drops its entry.
   */
  owned: boolean
}

/** Whether a stored mag path is a URL (`s3://…`, `https://…`) rather than a file path. */
export const isUrl = (stored: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(stored)

/**
 * Where the stored mag path `stored` (relative to the dataset, or absolute) of layer directory
 * `layerPath` in dataset `datasetPath` is. Empty paths and NUL are rejected.
 */
export function locateMag(stored: unknown, datasetPath: string, layerPath: string, origin: Origin): MagLocation {
  if (typeof stored !== 'string' || stored === '' || stored.includes('\0')) {
    throw reject(origin, `a mag path must be a non-empty string without NUL, but is ${JSON.stringify(stored)}`)
  }
  const resolved = isAbsolute(stored) || isRemote(stored) ? stored : joinPath(datasetPath, stored)
  if (isInside(layerPath, resolved)) return { directory: { name: relativePath(layerPath, resolved) as string, relativeTo: 'layer' }, owned: true }
  return { directory: { path: resolvePath(resolved), relativeTo: 'absolute' }, owned: false }
}
