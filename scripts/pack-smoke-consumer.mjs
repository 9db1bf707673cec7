// Run inside an empty project that installed the packed tarball (see pack-smoke.sh).
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dataset, WebknossosError } from 'webknossos'

const cjs = createRequire(import.meta.url)('webknossos')
assert.equal(cjs.Dataset, Dataset, 'the ESM and CommonJS entry points share one module')

const dataset = await Dataset.create(join(mkdtempSync(join(tmpdir(), 'wk-pack-')), 'ds'), { scale: [1, 1, 1] })
const layer = await dataset.addLayer('color', 'color')
const mag = await layer.addMag(1)
const data = new Uint8Array(64 * 64 * 64).map((_, i) => i % 251)
await mag.write({ data, shape: [64, 64, 64] })
await layer.downsample({ maxMag: 4 })
assert.deepEqual([...layer.mags.keys()], ['1', '2', '4'])
assert.deepEqual((await mag.read()).data, data)
const mag2 = await layer.getMag(2).read()
assert.deepEqual(mag2.shape, [1, 32, 32, 32])
await assert.rejects(() => dataset.addLayer('color', 'color'), (e) => e instanceof WebknossosError && e.code === 'ERR_WK_ALREADY_EXISTS')
console.log('consumer script: dataset written, downsampled to mags 1, 2, 4 and read back')
