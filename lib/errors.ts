/** The stable codes of every error the library raises on purpose. */
export type ErrorCode =
  | 'ERR_WK_NOT_FOUND'
  | 'ERR_WK_ALREADY_EXISTS'
  | 'ERR_WK_INVALID_ARGUMENT'
  | 'ERR_WK_OUT_OF_BOUNDS'
  | 'ERR_WK_READ_ONLY'
  | 'ERR_WK_MISMATCH'
  | 'ERR_WK_CORRUPT'
  | 'ERR_WK_IO'

export class WebknossosError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WebknossosError'
    this.code = code
  }
}

/** The error an aborted long operation rejects with, as Node's own APIs do. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR'

  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AbortError'
  }
}

export function invalidArgument(message: string): WebknossosError {
  return new WebknossosError('ERR_WK_INVALID_ARGUMENT', message)
}

/** Wraps an operating-system error of a Node `fs` call, naming the path. */
export function ioError(action: string, path: string, cause: unknown): WebknossosError {
  const code = (cause as NodeJS.ErrnoException)?.code
  const reason = cause instanceof Error ? cause.message : String(cause)
  const kind: ErrorCode = code === 'ENOENT' ? 'ERR_WK_NOT_FOUND' : code === 'EEXIST' ? 'ERR_WK_ALREADY_EXISTS' : 'ERR_WK_IO'
  return new WebknossosError(kind, `Could not ${action} "${path}": ${reason}`, { cause })
}

/** Turns an error of the native core (a coded Error) into the library's error types. */
export function fromNative(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ABORT_ERR') return new AbortError(error.message)
  if (typeof code === 'string' && code.startsWith('ERR_WK_') && code !== 'ERR_WK_INTERNAL') {
    return new WebknossosError(code as ErrorCode, error.message, { cause: error.cause })
  }
  return error
}
