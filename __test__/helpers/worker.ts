// A separate process that works on a dataset, for the tests of concurrent processes and of
// processes killed mid-write. Usage: node --import tsx worker.ts '<json command>'. It prints
// "ready" once the dataset is open and "done" when the command has finished.
import { BoundingBox, Dataset } from '../../index'

type Command =
  | { op: 'write-chunks'; path: string; layer: string; mag: string; offset: number[]; size: number[]; chunk: number; value: number; repeat?: number }
  | { op: 'add-layers'; path: string; prefix: string; count: number; dataFormat?: string }
  | { op: 'compress'; path: string; layer: string; mag: string }
  | { op: 'downsample'; path: string; layer: string }

async function main(command: Command): Promise<void> {
  const dataset = await Dataset.open(command.path)
  process.stdout.write('ready\n')
  switch (command.op) {
    case 'write-chunks': {
      const mag = dataset.getLayer(command.layer).getMag(command.mag)
      const box = new BoundingBox(command.offset as never, command.size as never)
      const edge = command.chunk
      for (let round = 0; round < (command.repeat ?? 1); round++) {
        for (const chunk of box.chunk([edge, edge, edge])) {
          const data = new Uint8Array(chunk.volume()).fill(command.value)
          await mag.write({ data, shape: chunk.size }, { offset: chunk.topLeft })
        }
      }
      break
    }
    case 'add-layers':
      // getOrAddLayer, so that a run repeated after a crash completes.
      for (let i = 0; i < command.count; i++) await dataset.getOrAddLayer(`${command.prefix}${i}`, 'color', { dataFormat: command.dataFormat as never })
      break
    case 'compress':
      await dataset.getLayer(command.layer).getMag(command.mag).compress()
      break
    case 'downsample':
      await dataset.getLayer(command.layer).downsample({ compress: true })
      break
  }
  process.stdout.write('done\n')
}

main(JSON.parse(process.argv[2])).catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`)
  process.exit(1)
})
