// `wk compress <dataset> [target]`: compresses mags in place (LZ4HC for WKW, zstd for Zarr), or
// copies them compressed into a new dataset.
import type { Command } from 'commander'
import { cp, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Dataset, Mag, type MagView } from '../../index'
import { CliError, checkFreeTarget, defineCommand, jobsOption, openDataset, quietOption, runtime, say, writingInto } from './common'
import { selectLayers } from './downsample'
import { collectMag, collectString } from './options'
import { type DistributionOptions, distributionOptions, withExecutor } from './distribution'
import { withProgress } from './progress'

interface Options extends DistributionOptions {
  layer?: string[]
  mag?: Mag[]
  quiet?: boolean
}

/** The mags to compress: `--mag` of each selected layer (each must exist), or all of them. */
function selectMags(dataset: Dataset, opts: Options): MagView[] {
  const views: MagView[] = []
  for (const layer of selectLayers(dataset, opts.layer)) {
    if (!opts.mag || opts.mag.length === 0) {
      views.push(...[...layer.mags.values()].sort((a, b) => Mag.compare(a.mag, b.mag)))
      continue
    }
    const unique = opts.mag.filter((m, i) => opts.mag!.findIndex((n) => n.equals(m)) === i)
    for (const mag of unique) views.push(layer.getMag(mag))
  }
  if (views.length === 0) throw new CliError(`"${dataset.path}" has no mag to compress`)
  return views
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true
}

export function register(program: Command): void {
  const command = defineCommand(program, 'compress', 'Compress mags (LZ4HC for WKW, zstd for Zarr), in place or into a new dataset')
    .argument('<dataset>', 'dataset directory or URL (s3://…, https://…)')
    .argument('[target]', 'new dataset to write the compressed mags to (default: compress in place)')
    .option('-l, --layer <name>', 'layer to compress, repeatable (default: every layer)', collectString)
    .option('-m, --mag <mag>', 'mag to compress, repeatable (default: every mag)', collectMag)
    .addOption(jobsOption())
    .addOption(quietOption())
  distributionOptions(command).action(async (path: string, target: string | undefined, opts: Options) => {
      const dataset = await openDataset(path)
      const views = selectMags(dataset, opts)
      const start = performance.now()
      if (target === undefined) {
        await withExecutor(opts, async (executor) => {
          for (const view of views) {
            await withProgress(`compress ${view.layer.name}/${view.name}`, 'files', opts, (onProgress) =>
              view.compress({ executor, signal: runtime.signal, onProgress }),
            )
          }
        })
        say(`compressed ${views.map((v) => `${v.layer.name}/${v.name}`).join(', ')} in place in ${((performance.now() - start) / 1000).toFixed(2)} s`)
        return
      }
      const { existed } = await checkFreeTarget(target, 'The target')
      const layers = [...new Set(views.map((v) => v.layer))]
      await writingInto(target, existed, async () => {
        await withExecutor(opts, (executor) =>
          withProgress('compress', 'files', opts, (onProgress) =>
            dataset.copyDataset(target, {
              layers: layers.map((l) => l.name),
              mags: opts.mag,
              compress: true,
              executor,
              signal: runtime.signal,
              onProgress,
            }),
          ),
        )
        // Mappings of segmentation layers belong to a usable copy too.
        for (const layer of layers) {
          const mappings = join(layer.path, 'mappings')
          if (await isDirectory(mappings)) await cp(mappings, join(target, layer.name, 'mappings'), { recursive: true, dereference: true })
        }
      })
      say(`compressed ${views.map((v) => `${v.layer.name}/${v.name}`).join(', ')} into "${target}" in ${((performance.now() - start) / 1000).toFixed(2)} s`)
    })
}
