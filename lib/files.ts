// File-system steps of the dataset layer, each turning OS errors into WebknossosErrors that name
// the path.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ioError } from './errors'

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK)
    return true
  } catch {
    return false
  }
}

/** Replaces `path` with `text` through a temporary file and a rename: never half-written. */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, text)
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true })
    throw ioError('write', path, error)
  }
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw ioError('read', path, error)
  }
}

export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true })
  } catch (error) {
    throw ioError('create the directory', path, error)
  }
}

/** Deletes a file or directory tree; a symlink is removed, never what it points to. */
export async function remove(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true })
  } catch (error) {
    throw ioError('delete', path, error)
  }
}

export async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (error) {
    throw ioError('move', `${from}" to "${to}`, error)
  }
}

export async function copyTree(from: string, to: string): Promise<void> {
  try {
    await cp(from, to, { recursive: true, dereference: true, errorOnExist: true, force: false })
  } catch (error) {
    throw ioError('copy', `${from}" to "${to}`, error)
  }
}

export async function makeSymlink(target: string, path: string): Promise<void> {
  try {
    await symlink(target, path, 'dir')
  } catch (error) {
    throw ioError('create the symlink', path, error)
  }
}
