// The engines the executor tests run on: a one-node Slurm cluster and a Redis, started on
// loopback by scripts/services/*.sh (which CI installs) and stopped when the suite ends. Where
// an engine is not installed, its tests are skipped with the reason printed.
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot, skipReason } from './paths'

const script = (name: string) => join(repoRoot, 'scripts', 'services', `${name}.sh`)

const installed = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0

export interface Service {
  /** Why the service cannot run here; undefined when it runs. */
  readonly unavailable?: string
  stop(): void
}

/** Starts the one-node Slurm cluster (its clients find it through /etc/slurm/slurm.conf and SLURM_CONF). */
export function startSlurm(): Service {
  if (!installed('slurmctld') || !installed('sbatch')) {
    skipReason('Slurm is not installed (scripts/services/slurm.sh install)')
    return { unavailable: 'Slurm is not installed', stop() {} }
  }
  const env = execFileSync(script('slurm'), ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  const conf = /SLURM_CONF=(\S+)/.exec(env)?.[1]
  if (conf) process.env.SLURM_CONF = conf
  return { stop: () => execFileSync(script('slurm'), ['stop'], { stdio: 'inherit' }) }
}

export interface Redis extends Service {
  readonly url: string
  /** Stops and starts the server again, keeping its data. */
  restart(): void
}

/** Starts a Redis with its own port and state directory. */
export function startRedis(port: number, dir: string): Redis {
  const url = `redis://127.0.0.1:${port}`
  if (!installed('redis-server')) {
    skipReason('Redis is not installed (scripts/services/redis.sh install)')
    return { unavailable: 'Redis is not installed', url, stop() {}, restart() {} }
  }
  const env = { ...process.env, WK_REDIS_PORT: String(port), WK_REDIS_DIR: dir }
  const run = (command: string) => execFileSync(script('redis'), [command], { env, stdio: 'inherit' })
  run('start')
  return { url, stop: () => run('stop'), restart: () => run('restart') }
}

export interface S3 extends Service {
  readonly endpoint: string
  /** Creates a bucket (moto wants signed requests, so its boto3 does it). */
  createBucket(name: string): void
  /** Every object under `prefix` of `bucket` with the SHA-256 of its content. */
  digests(bucket: string, prefix: string): Record<string, string>
}

/**
 * Starts a local S3 (moto's server mode, scripts/services/s3.sh) and points the standard AWS
 * variables of this process, and of the processes it starts, at it.
 */
export function startS3(port: number, dir: string): S3 {
  const endpoint = `http://127.0.0.1:${port}`
  const python = join(repoRoot, '.venv-s3', 'bin', 'python')
  const unavailable = { unavailable: 'moto is not installed', endpoint, stop() {}, createBucket() {}, digests: () => ({}) }
  if (spawnSync(python, ['-c', 'import moto, boto3']).status !== 0) {
    skipReason('moto is not installed (scripts/services/s3.sh install)')
    return unavailable
  }
  const env = { ...process.env, WK_S3_PORT: String(port), WK_S3_DIR: dir }
  execFileSync(script('s3'), ['start'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
  })
  const boto = (code: string) => execFileSync(python, ['-c', `import boto3, hashlib, json, sys\ns3 = boto3.client('s3')\n${code}`], { encoding: 'utf8' })
  return {
    endpoint,
    stop: () => execFileSync(script('s3'), ['stop'], { env, stdio: 'ignore' }),
    createBucket: (name) => void boto(`s3.create_bucket(Bucket=${JSON.stringify(name)})`),
    digests: (bucket, prefix) =>
      JSON.parse(
        boto(`out = {}
for page in s3.get_paginator('list_objects_v2').paginate(Bucket=${JSON.stringify(bucket)}, Prefix=${JSON.stringify(prefix)}):
    for o in page.get('Contents', []):
        body = s3.get_object(Bucket=${JSON.stringify(bucket)}, Key=o['Key'])['Body'].read()
        out[o['Key'][len(${JSON.stringify(prefix)}):]] = hashlib.sha256(body).hexdigest()
print(json.dumps(out))`),
      ),
  }
}
