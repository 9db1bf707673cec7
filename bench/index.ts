// `npm run bench [-- wkw|zarr|downsample|executors|remote|serve]`: benchmarks, never part of `npm test`.
import { availableParallelism } from 'node:os'
import { benchDownsample } from './downsample'
import { benchExecutors } from './executors'
import { benchRemote } from './remote'
import { benchServe } from './serve'
import { benchRoot } from './util'
import { benchWkw } from './wkw'
import { benchZarr } from './zarr'

const suites: Record<string, () => Promise<void>> = { wkw: benchWkw, zarr: benchZarr, downsample: benchDownsample, executors: benchExecutors, remote: benchRemote, serve: benchServe }

// The benches write slabs smaller than a shard on purpose, as pipelines do; the warning that
// such writes read and rewrite the shard would repeat for every slab.
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name !== 'RuntimeWarning') console.warn(warning)
})

async function main(): Promise<void> {
  const chosen = process.argv.slice(2)
  console.log(`# ${availableParallelism()} cores, Node ${process.version}, data in ${benchRoot}`)
  for (const [name, run] of Object.entries(suites)) {
    if (chosen.length === 0 || chosen.includes(name)) await run()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
