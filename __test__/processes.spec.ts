// Several processes on one dataset at once: writers of one compressed shard, adders of layers,
// writes during a compression. Nothing is lost.
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset } from '../index'
import { FORMATS, compressedMag } from './helpers/formats'
import { tempDir } from './helpers/paths'
import { runWorker, startWorker } from './helpers/processes'

for (const format of FORMATS) {
  test(`${format}: 4 processes writing disjoint quarters of one compressed shard lose nothing`, async (t) => {
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const layer = await ds.addLayer('color', 'color', { dataFormat: format })
    await (await compressedMag(layer, format, 128)).write({ data: new Uint8Array(128 ** 3), shape: [128, 128, 128] })
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        runWorker({ op: 'write-chunks', path: ds.path, layer: 'color', mag: '1', offset: [32 * i, 0, 0], size: [32, 128, 128], chunk: 32, value: i + 1 }),
      ),
    )
    const data = (await (await Dataset.open(ds.path)).getLayer('color').getMag(1).read({ size: [128, 128, 128] })).data as Uint8Array
    const wrong = data.filter((v, i) => v !== Math.floor((i % 128) / 32) + 1).length
    t.is(wrong, 0, `${wrong} voxels lost`)
  })

  test(`${format}: 4 processes adding 5 layers each leave all 20 in the properties`, async (t) => {
    const path = join(tempDir(t), 'ds')
    await Dataset.create(path, { scale: [1, 1, 1] })
    await Promise.all(['a', 'b', 'c', 'd'].map((prefix) => runWorker({ op: 'add-layers', path, prefix, count: 5, dataFormat: format })))
    const names = JSON.parse(readFileSync(join(path, 'datasource-properties.json'), 'utf8')).dataLayers.map((l: { name: string }) => l.name)
    t.is(names.length, 20)
    t.deepEqual([...(await Dataset.open(path)).layers.keys()].sort(), names.sort())
  })

  test(`${format}: writes during a compression of the same mag are all kept`, async (t) => {
    const ds = await Dataset.create(join(tempDir(t), 'ds'), { scale: [1, 1, 1] })
    const layer = await ds.addLayer('color', 'color', { dataFormat: format })
    const mag = await layer.addMag(1, { chunkShape: 32, shardShape: format === 'zarr' ? 32 : 128, compress: false })
    await mag.write({ data: new Uint8Array(256 ** 3).fill(1), shape: [256, 256, 256] })
    const writer = startWorker({ op: 'write-chunks', path: ds.path, layer: 'color', mag: '1', offset: [0, 0, 0], size: [128, 128, 256], chunk: 32, value: 7, repeat: 2 })
    await writer.ready
    await runWorker({ op: 'compress', path: ds.path, layer: 'color', mag: '1' })
    const { code, stderr } = await writer.exit
    t.is(code, 0, stderr)
    const reopened = (await Dataset.open(ds.path)).getLayer('color').getMag(1)
    t.not(reopened.info.compression, 'none')
    const data = (await reopened.read({ size: [256, 256, 256] })).data as Uint8Array
    let wrong = 0
    for (let z = 0; z < 256; z++) for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) {
      if (data[x + 256 * (y + 256 * z)] !== (x < 128 && y < 128 ? 7 : 1)) wrong++
    }
    t.is(wrong, 0, `${wrong} voxels differ`)
  })
}
