// Runs every suite (cargo test over the workspace, then ava) and ends with one line
// "N passed, N failed" over all of them; exits non-zero if anything failed.
import { spawn } from 'node:child_process'

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (stream, target) =>
      stream.on('data', (chunk) => {
        output += chunk
        target.write(chunk)
      })
    keep(child.stdout, process.stdout)
    keep(child.stderr, process.stderr)
    child.on('close', (code) => resolve({ code, output }))
  })
}

const sum = (output, pattern) => [...output.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0)

const suites = []

const cargo = await run('cargo', ['test', '--workspace', '--color', 'never'])
suites.push({
  name: 'cargo test',
  code: cargo.code,
  passed: sum(cargo.output, /test result: \w+\. (\d+) passed/g),
  failed: sum(cargo.output, /test result: \w+\. \d+ passed; (\d+) failed/g),
  skipped: sum(cargo.output, /(\d+) ignored/g),
})

const ava = await run('npx', ['ava', '--tap'])
suites.push({
  name: 'ava',
  code: ava.code,
  passed: sum(ava.output, /^# pass (\d+)/gm),
  failed: sum(ava.output, /^# fail (\d+)/gm),
  skipped: sum(ava.output, /^# skip (\d+)/gm),
})

// CI also checks the packed tarball: installed without Rust, it must work (scripts/pack-smoke.sh).
if (process.env.WK_PACK_SMOKE === '1') {
  const pack = await run('scripts/pack-smoke.sh', [])
  suites.push({ name: 'pack smoke test', code: pack.code, passed: pack.code === 0 ? 1 : 0, failed: pack.code === 0 ? 0 : 1, skipped: 0 })
}

let passed = 0
let failed = 0
for (const suite of suites) {
  // A suite that failed without reporting a failed test (a build error, a crash) counts as one.
  const suiteFailed = suite.failed || (suite.code !== 0 ? 1 : 0)
  console.log(`${suite.name}: ${suite.passed} passed, ${suiteFailed} failed, ${suite.skipped} skipped`)
  passed += suite.passed
  failed += suiteFailed
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
