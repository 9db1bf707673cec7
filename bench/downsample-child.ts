// Runs one downsampling in a process of its own, so that its peak memory is its own; prints JSON.
import { Dataset } from '../index'

async function main(): Promise<void> {
  const [path, layerName, maxMag, mode] = process.argv.slice(2)
  const layer = (await Dataset.open(path)).getLayer(layerName)
  const start = process.hrtime.bigint()
  const steps = await layer.downsample({ fromMag: 1, maxMag, interpolationMode: mode as never, samplingMode: 'isotropic' })
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(JSON.stringify({ seconds, steps, peakBytes: process.resourceUsage().maxRSS * 1024 }))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
