// Writes dist/index.mjs (and its types): an ES module facade over the CommonJS build, so both entry points share
// one copy of every class (instanceof works across them) and one loaded addon.
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const names = Object.keys(createRequire(import.meta.url)(`${dist}index.js`)).filter((n) => n !== '__esModule')
const lines = [
  "import cjs from './index.js'",
  `export const { ${names.join(', ')} } = cjs`,
  'export default cjs',
  '',
]
writeFileSync(`${dist}index.mjs`, lines.join('\n'))
writeFileSync(`${dist}index.d.mts`, "export * from './index.js'\n")
