import { join } from 'node:path'
import type * as Binding from './binding'
import { fromNative } from '../errors'


/**
 * Loads the addon: a local build (`build/Release`) or the prebuilt binary that travels in
 * `prebuilds/<platform>-<arch>` (prebuildify layout), then the per-platform npm package.
 */
function load(): typeof Binding {
  // Compiled code runs from dist/lib/native, sources (tests through tsx) from lib/native.
  const root = join(__dirname, __dirname.endsWith(join('dist', 'lib', 'native')) ? '../../..' : '../..')
  try {
    return require('node-gyp-build')(root)
  } catch (local) {
    try {
      return require(`webknossos-${process.platform}-${process.arch}-gnu`)
    } catch {
      throw local
    }
  }
}

export const native: typeof Binding = load()

/** Awaits a native call, turning its errors into the library's error types. */
export async function nativeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw fromNative(error)
  }
}
