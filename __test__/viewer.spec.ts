// The viewer page in a real browser: headless Chromium (Debian's `chromium`, driven by
// playwright-core) opens `wk serve`'s page on the demo dataset; screenshots of each plane, after a
// mag switch and with the segmentation overlay are checked pixel by pixel at a few points against
// the voxels the library reads, and saved in test-artifacts/.
import anyTest from 'ava'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { fmix32 } from '../apps/viewer/src/colors'
import { Dataset, type Server, type Vec3, serve } from '../index'
import { wk } from './helpers/cli'
import { repoRoot, skipReason } from './helpers/paths'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path))
const test = CHROMIUM ? anyTest.serial : anyTest.skip
if (!CHROMIUM) skipReason('Chromium is not installed (apt-get install chromium)')

const ARTIFACTS = join(repoRoot, 'test-artifacts')
const SIZE = 128

type Page = import('playwright-core').Page
type Browser = import('playwright-core').Browser

let browser: Browser | undefined
let server: Server | undefined
let dataset: Dataset
let page: Page

let dir: string

anyTest.before(async () => {
  if (!CHROMIUM) return
  dir = mkdtempSync(join(tmpdir(), 'wk-viewer-'))
  const demo = await wk(['demo', join(dir, 'wk-demo'), '--size', String(SIZE)])
  if (demo.code !== 0) throw new Error(demo.stderr)
  dataset = await Dataset.open(join(dir, 'wk-demo'))
  server = await serve([join(dir, 'wk-demo')], { port: 0 })
  const { chromium } = await import('playwright-core')
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
  page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 })
  await page.goto(`${server.url}/`)
  await page.evaluate(() => window.__viewer.ready)
  mkdirSync(ARTIFACTS, { recursive: true })
})

anyTest.after.always(async () => {
  await browser?.close()
  await server?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

interface ViewerWindow {
  __viewer: {
    ready: Promise<void>
    select(input: Record<string, unknown>): Promise<void>
    state(): Record<string, unknown>
    datasets(): { name: string }[]
  }
}
declare const window: ViewerWindow

/** Selects `input`, waits for the draw, saves a screenshot of the canvas, and returns its RGBA pixels. */
async function show(name: string, input: Record<string, unknown>): Promise<{ width: number; pixel: (x: number, y: number) => number[] }> {
  await page.evaluate((i) => window.__viewer.select(i), input)
  const png = await page.locator('[data-testid="viewer-canvas"]').screenshot()
  writeFileSync(join(ARTIFACTS, `viewer-${name}.png`), png)
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, pixel: (x, y) => [...data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 4)] }
}

/** The voxel of `mag` (a layer name and mag name) at `at` (in that mag's voxels). */
async function voxel(layer: string, mag: string, at: Vec3): Promise<number> {
  return Number((await dataset.getLayer(layer).getMag(mag).read({ offset: at, size: [1, 1, 1] })).data[0])
}

/** The viewer's segment colour rule, for ids below 2^32 (apps/viewer/src/main.ts documents it). */
function segmentColour(id: number): number[] {
  const h = fmix32(id)
  return [(h & 0xff) | 0x40, ((h >>> 8) & 0xff) | 0x40, ((h >>> 16) & 0xff) | 0x40]
}

const POINTS: [number, number][] = [
  [0, 0],
  [17, 40],
  [63, 5],
  [100, 101],
  [127, 127],
]

test('the page lists the demo dataset and draws each plane as the voxels say', async (t) => {
  const datasets = await page.evaluate(() => window.__viewer.datasets().map((d) => d.name))
  t.deepEqual(datasets, ['wk-demo'])
  const slice = 50
  for (const plane of ['xy', 'xz', 'yz'] as const) {
    const shot = await show(plane, { dataset: 'wk-demo', layer: 'color', segmentation: null, plane, slice, mag: 1, zoom: 1, offset: [0, 0], overlay: false })
    t.is(shot.width, SIZE, plane)
    for (const [u, v] of POINTS) {
      const at: Vec3 = plane === 'xy' ? [u, v, slice] : plane === 'xz' ? [u, slice, v] : [slice, u, v]
      const g = await voxel('color', '1', at)
      t.deepEqual(shot.pixel(u, v), [g, g, g, 255], `${plane} at ${u}, ${v}`)
    }
  }
})

test('after a mag switch the page draws the coarser mag', async (t) => {
  const mag = dataset.getLayer('color').getMag('2-2-1')
  const shot = await show('mag-2-2-1', { dataset: 'wk-demo', layer: 'color', plane: 'xy', slice: 50, mag: [2, 2, 1], zoom: 1, offset: [0, 0], overlay: false })
  t.is(shot.width, SIZE / 2)
  for (const [u, v] of POINTS.map(([u, v]) => [u >> 1, v >> 1])) {
    const g = await voxel('color', mag.name, [u, v, 50])
    t.deepEqual(shot.pixel(u, v), [g, g, g, 255], `2-2-1 at ${u}, ${v}`)
  }
})

test('the segmentation overlay colours each segment over the grey values', async (t) => {
  const shot = await show('segmentation', { dataset: 'wk-demo', layer: 'color', segmentation: 'segmentation', plane: 'xy', slice: 64, mag: 1, zoom: 1, offset: [0, 0], overlay: true, opacity: 0.5 })
  let segmented = 0
  for (let v = 0; v < SIZE; v += 9) {
    for (let u = 0; u < SIZE; u += 9) {
      const g = await voxel('color', '1', [u, v, 64])
      const id = await voxel('segmentation', '1', [u, v, 64])
      const expected = id === 0 ? [g, g, g, 255] : [...segmentColour(id).map((c) => Math.round(0.5 * g + 0.5 * c)), 255]
      if (id !== 0) segmented++
      t.deepEqual(shot.pixel(u, v), expected, `overlay at ${u}, ${v} (segment ${id})`)
    }
  }
  t.true(segmented > 10, `only ${segmented} of the sampled voxels are segmented`)
  // The whole page as a user sees it, zoomed in (the README's picture comes from here).
  await page.evaluate(() => window.__viewer.select({ zoom: 5 }))
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-page.png') })
})
