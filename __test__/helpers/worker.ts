// A separate process that works on a dataset, for the tests of concurrent processes and of
// processes killed mid-write. Usage: node --import tsx worker.ts '<json command>'. It prints
// "ready" once the dataset is open, "progress <done> <total>" as it goes, and "done" when the
// command has finished. With `killAt`, it kills itself with SIGKILL `delay` ms after reaching
// `fraction` of its progress: a kill -9 at a chosen moment, whatever the load of the machine.
import { BoundingBox, Dataset } from '../../index'

type Command = Work & { killAt?: { fraction: number; delay: number } }

type Work =
  | { op: 'write-chunks'; path: string; layer: string; mag: string; offset: number[]; size: number[]; chunk: number; value: number; repeat?: number }
  | { op: 'add-layers'; path: string; prefix: string; count: number; dataFormat?: string }
  | { op: 'compress'; path: string; layer: string; mag: string }
  | { op: 'downsample'; path: string; layer: string }

let killAt: Command['killAt']

const progress = ({ done, total }: { done: number; total: number }) => {
  process.stdout.write(`progress ${done} ${total}\n`)
  if (killAt && done >= Math.max(1, Math.ceil(killAt.fraction * total))) {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), killAt.delay)
    killAt = undefined
  }
}

async function main(command: Command): Promise<void> {
  killAt = command.killAt
  const dataset = await Dataset.open(command.path)
  process.stdout.write('ready\n')
  switch (command.op) {
    case 'write-chunks': {
      const mag = dataset.getLayer(command.layer).getMag(command.mag)
      const box = new BoundingBox(command.offset as never, command.size as never)
      const edge = command.chunk
      const chunks = [...box.chunk([edge, edge, edge])]
      const total = chunks.length * (command.repeat ?? 1)
      for (let round = 0; round < (command.repeat ?? 1); round++) {
        for (const [i, chunk] of chunks.entries()) {
          const data = new Uint8Array(chunk.volume()).fill(command.value)
          await mag.write({ data, shape: chunk.size }, { offset: chunk.topLeft })
          progress({ done: round * chunks.length + i + 1, total })
        }
      }
      break
    }
    case 'add-layers':
      // getOrAddLayer, so that a run repeated after a crash completes.
      for (let i = 0; i < command.count; i++) {
        await dataset.getOrAddLayer(`${command.prefix}${i}`, 'color', { dataFormat: command.dataFormat as never })
        progress({ done: i + 1, total: command.count })
      }
      break
    case 'compress':
      await dataset.getLayer(command.layer).getMag(command.mag).compress({ onProgress: progress, jobs: 1 })
      break
    case 'downsample':
      await dataset.getLayer(command.layer).downsample({ compress: true, onProgress: progress, jobs: 1 })
      break
  }
  process.stdout.write('done\n')
}

main(JSON.parse(process.argv[2])).catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`)
  process.exit(1)
})
