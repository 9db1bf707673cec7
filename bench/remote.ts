// Reads a 512³ region of a sharded zstd Zarr v3 mag (and of an LZ4HC WKW mag) from a local S3
// server (moto, scripts/services/s3.sh) with our library and with tensorstore's S3 kvstore, on the
// same objects, the sides alternating; each round opens the dataset afresh. The requests each side
// makes are counted in the server's log.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, type DataFormat } from '../index'
import { colorSlab } from './volumes'
import { type Row, printTable, python, timed } from './util'

const EDGE = 512
const REPEAT = 3
const PORT = 9011
const STATE = '/tmp/wk-s3-bench'
const BUCKET = 'bench'
const root = join(__dirname, '..')
const script = join(root, 'scripts', 'services', 's3.sh')
const s3Python = join(root, '.venv-s3', 'bin', 'python')

/** Reads (GET, HEAD) the server has logged so far; its log colours some lines. */
const requests = (): number => readFileSync(join(STATE, 'moto.log'), 'utf8').split('\n').filter((line) => /(GET|HEAD) \//.test(line)).length

async function upload(format: DataFormat): Promise<string> {
  const url = `s3://${BUCKET}/${format}`
  const dataset = await Dataset.create(url, { scale: [1, 1, 1] })
  const layer = await dataset.addLayer('color', 'color', { dtypePerChannel: 'uint8', dataFormat: format })
  const mag = await layer.addMag(1, { compress: true })
  // Whole WKW files (1024³) must be written at once when compressed: the volume goes up in one write.
  await mag.write({ data: colorSlab(EDGE, 0, EDGE), shape: [EDGE, EDGE, EDGE] }, { offset: [0, 0, 0] })
  return url
}

async function ourRead(url: string): Promise<{ seconds: number; requests: number }> {
  const before = requests()
  const mag = (await Dataset.open(url)).getLayer('color').getMag(1)
  const { seconds } = await timed(() => mag.read({ offset: [0, 0, 0], size: [EDGE, EDGE, EDGE] }))
  return { seconds, requests: requests() - before }
}

function tensorstoreRead(format: DataFormat): { seconds: number; requests: number } {
  const before = requests()
  const request = { bucket: BUCKET, path: `${format}/color/1`, edge: EDGE }
  const out = JSON.parse(execFileSync(python!, [join(__dirname, 'reference', 's3_read_bench.py'), JSON.stringify(request)], { encoding: 'utf8' }))
  return { seconds: out.read, requests: requests() - before }
}

export async function benchRemote(): Promise<void> {
  try {
    execFileSync(s3Python, ['-c', 'import moto'], { stdio: 'ignore' })
  } catch {
    console.log('# moto is not installed (scripts/services/s3.sh install): skipping the remote bench')
    return
  }
  const env = { ...process.env, WK_S3_PORT: String(PORT), WK_S3_DIR: STATE }
  execFileSync(script, ['start'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const endpoint = `http://127.0.0.1:${PORT}`
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint })
  try {
    execFileSync(s3Python, ['-c', `import boto3; boto3.client('s3').create_bucket(Bucket='${BUCKET}')`], { env: process.env })
    const rows: Row[] = []
    const mb = EDGE ** 3 / 1e6
    const chunks = (EDGE / 32) ** 3
    for (const format of ['zarr3', 'wkw'] as const) {
      const url = await upload(format)
      const ours: { seconds: number; requests: number }[] = []
      const theirs: { seconds: number; requests: number }[] = []
      for (let round = 0; round < REPEAT; round++) {
        ours.push(await ourRead(url))
        if (python && format === 'zarr3') theirs.push(tensorstoreRead(format))
      }
      const best = (rounds: { seconds: number }[]) => Math.min(...rounds.map((r) => r.seconds))
      const perChunk = (rounds: { requests: number }[]) => (rounds[0].requests / chunks).toFixed(3)
      const rate = (s: number) => `${(mb / s).toFixed(0)} MB/s (${s.toFixed(2)} s)`
      const name = format === 'zarr3' ? 'Zarr v3, 1024³ zstd shards of 32³ chunks' : 'WKW, LZ4HC, 1024³ files of 32³ blocks'
      rows.push({
        what: `${EDGE}³ uint8 read from S3: ${name}`,
        ours: rate(best(ours)),
        reference: theirs.length > 0 ? rate(best(theirs)) : 'n/a (tensorstore has no WKW driver)',
        ratio: theirs.length > 0 ? `${(best(theirs) / best(ours)).toFixed(2)}×` : '',
      })
      rows.push({
        what: `${EDGE}³ uint8 read from S3: ${name}: requests per 32³ chunk read`,
        ours: `${perChunk(ours)} (${ours[0].requests} requests)`,
        reference: theirs.length > 0 ? `${perChunk(theirs)} (${theirs[0].requests} requests)` : '',
        ratio: '',
      })
    }
    printTable(`Remote reads from a loopback S3 (moto), best of ${REPEAT} rounds (ratio = tensorstore time / our time)`, rows, {
      ours: 'webknossos (Node)',
      reference: 'tensorstore (S3 kvstore)',
      ratio: 'ratio',
    })
  } finally {
    execFileSync(script, ['stop'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  }
}
