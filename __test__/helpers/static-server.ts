// A plain static file server (serve-static, Express's file handler) in a process of its own, with
// an injected fault: `node --import tsx static-server.ts <root> <fault>` prints its port.
//   none      every request served
//   fail      every third request answered 503
//   slow      every response held back 150 ms
//   truncate  data files lose the second half of their body (the headers promise all of it)
// It runs apart from the tests because the library's native calls occupy Node's thread pool while
// they wait for responses, and serve-static needs that same pool for its file reads.
import { type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import serveStatic from 'serve-static'

const [root, fault = 'none'] = process.argv.slice(2)
const files = serveStatic(root, { dotfiles: 'deny', index: false })
let requests = 0

function truncate(res: ServerResponse): void {
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean
  const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse
  let sent = 0
  const limit = () => {
    const length = Number(res.getHeader('content-length'))
    return length > 4096 ? Math.floor(length / 2) : Number.POSITIVE_INFINITY
  }
  const cut = (chunk: unknown): boolean => {
    if (!Buffer.isBuffer(chunk)) return false
    if (sent + chunk.length <= limit()) {
      sent += chunk.length
      return false
    }
    write(chunk.subarray(0, limit() - sent))
    res.socket?.destroy()
    return true
  }
  res.write = ((chunk: unknown, ...rest: unknown[]) => cut(chunk) || write(chunk, ...rest)) as typeof res.write
  res.end = ((chunk?: unknown, ...rest: unknown[]) => (cut(chunk) ? res : end(chunk, ...rest))) as typeof res.end
}

function delay(res: ServerResponse): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
  res.end = ((...args: unknown[]) => {
    setTimeout(() => end(...args), 150)
    return res
  }) as typeof res.end
}

const server = createServer((req, res) => {
  requests++
  if (fault === 'fail' && requests % 3 === 0) {
    res.statusCode = 503
    res.end('try again')
    return
  }
  if (fault === 'slow') delay(res)
  if (fault === 'truncate') truncate(res)
  files(req, res, () => {
    res.statusCode = 404
    res.end()
  })
})
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port))
process.on('SIGTERM', () => process.exit(0))
