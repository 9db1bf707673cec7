// Builds the browser viewer (apps/viewer) into dist/viewer/: index.html, main.js (one minified IIFE bundle with
// zarrita and numcodecs, whose wasm codecs are inlined as base64 — no network access besides the server's own API
// and data) and style.css. `wk serve` serves index.html at / and the other files under /viewer/.
//   node scripts/build-viewer.mjs            minified build
//   node scripts/build-viewer.mjs --dev      unminified, with inline source map
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = `${root}apps/viewer/`
const out = `${root}dist/viewer/`
const dev = process.argv.includes('--dev')

const started = Date.now()
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const result = await build({
  absWorkingDir: root,
  entryPoints: [`${src}src/main.ts`],
  outfile: `${out}main.js`,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
})

await build({
  absWorkingDir: root,
  entryPoints: [`${src}style.css`],
  outfile: `${out}style.css`,
  bundle: true,
  minify: !dev,
  logLevel: 'warning',
})

copyFileSync(`${src}index.html`, `${out}index.html`)

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`dist/viewer: index.html, main.js (${(bytes / 1024).toFixed(0)} KiB), style.css in ${Date.now() - started} ms`)
