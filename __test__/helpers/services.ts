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
