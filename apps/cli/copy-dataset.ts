// `wk copy-dataset <source> <target>`: a copy of every layer and mag, converted to another data
// format (and chunk and shard shape) if asked (Dataset.copyDataset).
import { type Command, Option } from 'commander'
import { DATA_FORMATS, type DataFormat } from '../../index'
import { checkFreeTarget, defineCommand, jobsOption, openDataset, quietOption, runtime, say, writingInto } from './common'
import { type DistributionOptions, distributionOptions, withExecutor } from './distribution'
import { parseShape } from './options'
import { withProgress } from './progress'

interface Options extends DistributionOptions {
  dataFormat?: DataFormat
  chunkShape?: [number, number, number]
  shardShape?: [number, number, number]
  compress?: boolean
  quiet?: boolean
}

export function register(program: Command): void {
  const command = defineCommand(program, 'copy-dataset', 'Copy a dataset, converting its layers to another data format if asked')
    .argument('<source>', 'dataset directory or URL (s3://…, https://…)')
    .argument('<target>', 'new dataset directory or s3:// URL (must not exist or be empty)')
    .addOption(new Option('--data-format <format>', 'format of every layer of the copy (default: each keeps its own)').choices(DATA_FORMATS as string[]))
    .option('--chunk-shape <shape>', 'voxels per chunk, "32" or "x,y,z" (default: the source\'s, or the format\'s)', parseShape)
    .option('--shard-shape <shape>', 'voxels per shard file, "1024" or "x,y,z" (default: the source\'s, or the format\'s)', parseShape)
    .option('--compress', 'compress every mag (default: as the source)')
    .option('--no-compress', 'write every mag uncompressed')
    .addOption(jobsOption())
    .addOption(quietOption())
  distributionOptions(command).action(async (source: string, target: string, opts: Options) => {
      const dataset = await openDataset(source)
      const { existed } = await checkFreeTarget(target, 'The target')
      const start = performance.now()
      await writingInto(target, existed, () =>
        withExecutor(opts, (executor) =>
          withProgress('copy', 'files', opts, (onProgress) =>
            dataset.copyDataset(target, {
              dataFormat: opts.dataFormat,
              chunkShape: opts.chunkShape,
              shardShape: opts.shardShape,
              compress: opts.compress,
              executor,
              signal: runtime.signal,
              onProgress,
            }),
          ),
        ),
      )
      const into = opts.dataFormat ? ` as ${opts.dataFormat}` : ''
      say(`copied "${source}" into "${target}"${into} in ${((performance.now() - start) / 1000).toFixed(2)} s`)
    })
}
