// Where a dataset lives: a local path, or a URL of an object store (`s3://bucket/key`) or of a
// web server (`https://host/path`, read-only). Paths inside a URL are joined, resolved and
// compared like POSIX paths of its root, so that the dataset code treats both kinds alike.
import * as path from 'node:path'
import { invalidArgument } from '../errors'
import type { NativeStore, StorageOptions } from '../native/binding'
import { native, nativeCall } from '../native/native'

export type { StorageOptions }

const REMOTE = /^(s3|https?):\/\/([^/?#]+)(\/[^?#]*)?$/i

/** Whether `location` is a URL of a remote store rather than a local path. */
export const isRemote = (location: string): boolean => /^(s3|https?):\/\//i.test(location)

/** Whether `location` can be written: local paths and S3; web servers are read-only. */
export const isWritable = (location: string): boolean => !/^https?:\/\//i.test(location)

/** The root (`s3://bucket`, `https://host`) and the absolute POSIX path inside it. */
function splitUrl(location: string): { root: string; path: string } {
  const match = REMOTE.exec(location)
  if (!match) throw invalidArgument(`"${location}" is not a valid s3:// or http(s):// URL`)
  return { root: `${match[1].toLowerCase()}://${match[2]}`, path: path.posix.normalize(decodeURI(match[3] ?? '/')) }
}

/** A location as the library keeps it: `file://` URLs become paths, URLs lose trailing slashes. */
export function normalizeLocation(location: string): string {
  if (/^file:\/\//i.test(location)) return decodeURIComponent(new URL(location).pathname)
  if (!isRemote(location)) return location
  const { root, path: inner } = splitUrl(location)
  return inner === '/' ? root : `${root}${inner.replace(/\/$/, '')}`
}

export function joinPath(base: string, ...parts: string[]): string {
  if (!isRemote(base)) return path.join(base, ...parts)
  const { root, path: inner } = splitUrl(base)
  return normalizeLocation(`${root}${path.posix.join(inner, ...parts)}`)
}

export function resolvePath(location: string): string {
  return isRemote(location) ? normalizeLocation(location) : path.resolve(location)
}

export function baseName(location: string): string {
  return isRemote(location) ? path.posix.basename(splitUrl(location).path) : path.basename(location)
}

export function dirName(location: string): string {
  if (!isRemote(location)) return path.dirname(location)
  const { root, path: inner } = splitUrl(location)
  return normalizeLocation(`${root}${path.posix.dirname(inner)}`)
}

/** `to` relative to `from`, or undefined when they are not under one root (a path and a URL). */
export function relativePath(from: string, to: string): string | undefined {
  if (isRemote(from) !== isRemote(to)) return undefined
  if (!isRemote(from)) return path.relative(path.resolve(from), path.resolve(to))
  const [a, b] = [splitUrl(from), splitUrl(to)]
  return a.root === b.root ? path.posix.relative(a.path, b.path) : undefined
}

/** Whether `location` lies strictly inside `dir` (both taken lexically, as given). */
export function isInside(dir: string, location: string): boolean {
  const rel = relativePath(dir, location)
  return rel !== undefined && rel !== '' && !path.isAbsolute(rel) && rel.split(/[\\/]/)[0] !== '..'
}

/** Endpoint and credentials per root URL, as given to `Dataset.open`/`create`. */
const storageOptions = new Map<string, StorageOptions>()

/** Uses `options` for every location under the root of `location` from now on. */
export function configureStorage(location: string, options: StorageOptions | undefined): void {
  if (options === undefined || !isRemote(location)) return
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && typeof value !== 'string') throw invalidArgument(`storage.${key} must be a string, but is ${JSON.stringify(value)}`)
  }
  const { root } = splitUrl(location)
  storageOptions.set(root, options)
  stores.delete(root)
}

/** The options configured for the root of `location`, if any. */
export function storageFor(location: string): StorageOptions | undefined {
  return isRemote(location) ? storageOptions.get(splitUrl(location).root) : undefined
}

const stores = new Map<string, Promise<NativeStore>>()

/** The store of the root of `location` (one per root and process) and the key of `location` in it. */
export async function remoteStore(location: string): Promise<{ store: NativeStore; key: string }> {
  const { root, path: inner } = splitUrl(location)
  let store = stores.get(root)
  if (store === undefined) {
    store = nativeCall(() => native.openStore(root, storageFor(location)))
    stores.set(root, store)
    store.catch(() => stores.delete(root))
  }
  return { store: await store, key: inner.replace(/^\/+/, '') }
}
