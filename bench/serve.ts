// A load test of `wk serve` on loopback: 64 clients (keep-alive connections of this process)
// fetch random chunks for 30 s from a server in its own process: WKW LZ4HC blocks (decoded once and
// sent raw) and Zarr v3 chunks (byte ranges of the stored shard, passed through). Reports chunks/s,
// MB/s, latency percentiles, errors and the server's peak memory, beside the published figure of
// the WEBKNOSSOS datastore (4.76 GB/s of LZ4 colour buckets on 32 cores).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Dataset } from '../index'
import { type Row, printTable, workDir } from './util'
import { colorSlab } from './volumes'

const EDGE = 512
const CLIENTS = 64
const SECONDS = 30
const DATASTORE_GBPS = 4.76
const DATASTORE_CORES = 32

async function makeDataset(dir: string): Promise<void> {
  const dataset = await Dataset.create(join(dir, 'load'), { scale: [1, 1, 1] })
  const data = colorSlab(EDGE, 0, EDGE)
  for (const format of ['wkw', 'zarr3'] as const) {
    const layer = await dataset.addLayer(format, 'color', { dtypePerChannel: 'uint8', dataFormat: format })
    const mag = await layer.addMag(1, format === 'wkw' ? { fileLen: 16, compress: true } : { compress: true })
    await mag.write({ data, shape: [EDGE, EDGE, EDGE] }, { offset: [0, 0, 0] })
  }
}

/** The byte ranges of the chunks of the Zarr v3 shard (index at its end: offset, length per chunk). */
function chunkRanges(shard: string): [number, number][] {
  const bytes = readFileSync(shard)
  const chunks = (1024 / 32) ** 3
  const index = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - (chunks * 16 + 4), chunks * 16)
  const ranges: [number, number][] = []
  for (let i = 0; i < chunks; i++) {
    const offset = index.getBigUint64(i * 16, true)
    const length = index.getBigUint64(i * 16 + 8, true)
    if (offset !== 0xffffffffffffffffn) ranges.push([Number(offset), Number(length)])
  }
  return ranges
}

function peakRss(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

interface Load {
  chunks: number
  bytes: number
  errors: number
  latencies: number[]
}

/** CLIENTS loops, each fetching `next()` until the time is up. */
async function load(base: URL, next: () => { path: string; headers?: Record<string, string> }): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })
  const result: Load = { chunks: 0, bytes: 0, errors: 0, latencies: [] }
  const end = Date.now() + SECONDS * 1000
  const fetchOne = ({ path, headers }: { path: string; headers?: Record<string, string> }) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: base.hostname, port: base.port, path, headers, agent }, (res) => {
        let length = 0
        res.on('data', (chunk: Buffer) => (length += chunk.length))
        res.on('end', () => (res.statusCode === 200 || res.statusCode === 206 ? resolve(length) : reject(new Error(String(res.statusCode)))))
      })
      req.on('error', reject)
      req.end()
    })
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const started = process.hrtime.bigint()
        try {
          // Read the result before adding: `bytes += await …` would add to a stale total.
          const length = await fetchOne(next())
          result.bytes += length
          result.chunks++
          result.latencies.push(Number(process.hrtime.bigint() - started) / 1e6)
        } catch {
          result.errors++
        }
      }
    }),
  )
  agent.destroy()
  return result
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]

export async function benchServe(): Promise<void> {
  const dir = workDir('serve')
  await makeDataset(dir)
  const dataset = await Dataset.open(join(dir, 'load'))
  const ranges = chunkRanges(join(dataset.getLayer('zarr3').getMag(1).path, 'c', '0', '0', '0', '0'))
  const server = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'apps', 'cli', 'main.ts'), 'serve', join(dir, 'load'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(createInterface({ input: server.stdout! }), 'line')
  const base = new URL(/(http:\/\/\S+)/.exec(line)![1])
  const blocks = EDGE / 32
  const random = (n: number) => Math.floor(Math.random() * n)
  const rows: Row[] = []
  const cores = availableParallelism()
  try {
    const runs: [string, () => { path: string; headers?: Record<string, string> }][] = [
      ['WKW LZ4HC blocks, decoded once and sent raw (32 KiB each)', () => ({ path: `/load/wkw/1/c/0/${random(blocks)}/${random(blocks)}/${random(blocks)}` })],
      [
        'Zarr v3 chunks as stored, byte ranges of the zstd shard',
        () => {
          const [offset, length] = ranges[random(ranges.length)]
          return { path: '/load/zarr3/1/c/0/0/0/0', headers: { Range: `bytes=${offset}-${offset + length - 1}` } }
        },
      ],
    ]
    for (const [name, next] of runs) {
      const result = await load(base, next)
      const sorted = result.latencies.sort((a, b) => a - b)
      const mbps = result.bytes / 1e6 / SECONDS
      rows.push({
        what: `${CLIENTS} clients, ${SECONDS} s: ${name}`,
        ours: `${(result.chunks / SECONDS).toFixed(0)} chunks/s, ${mbps.toFixed(0)} MB/s (${(mbps / cores).toFixed(0)} MB/s per core)`,
        reference: `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ${result.errors} errors`,
        ratio: `${((mbps / cores / ((DATASTORE_GBPS * 1000) / DATASTORE_CORES)) * 100).toFixed(0)} % of the datastore's per core`,
      })
    }
    rows.push({ what: 'server peak memory (RSS) over both runs', ours: `${(peakRss(server) / 2 ** 20).toFixed(0)} MiB`, reference: '', ratio: '' })
  } finally {
    server.kill('SIGTERM')
    await once(server, 'exit')
  }
  printTable(`wk serve under load on loopback (${cores} cores shared by server and clients; datastore: ${DATASTORE_GBPS} GB/s on ${DATASTORE_CORES} cores = ${((DATASTORE_GBPS * 1000) / DATASTORE_CORES).toFixed(0)} MB/s per core)`, rows, {
    ours: 'throughput',
    reference: 'latency, errors',
    ratio: 'against the datastore',
  })
}
