// `wk serve <dataset|dir>…`: every layer and mag as a read-only Zarr v3 array over HTTP, with the
// viewer page at /, until Ctrl-C or SIGTERM.
import type { Command } from 'commander'
import { serve } from '../../index'
import { defineCommand, runtime, say } from './common'
import { parsePort } from './options'

interface Options {
  host: string
  port: number
  token?: string
}

export function register(program: Command): void {
  defineCommand(program, 'serve', 'Serve datasets over HTTP as Zarr v3 (OME-NGFF 0.5), with a viewer page at /')
    .argument('<datasets...>', 'dataset directories or URLs, or directories of datasets')
    .option('--host <host>', 'interface to listen on (other machines reach it only if not loopback)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', parsePort, 8000)
    .option('--token <token>', 'require this token on every request (?token=… or Authorization: Bearer …)')
    .action(async (paths: string[], opts: Options) => {
      const server = await serve(paths, { host: opts.host, port: opts.port, token: opts.token })
      const page = opts.token === undefined ? `${server.url}/` : `${server.url}/?token=${encodeURIComponent(opts.token)}`
      say(`serving ${[...server.datasets.keys()].join(', ') || 'no datasets'} at ${server.url}`)
      say(`viewer: ${page}`)
      await new Promise<void>((resolve) => runtime.signal.addEventListener('abort', () => resolve(), { once: true }))
      await server.close()
    })
}
