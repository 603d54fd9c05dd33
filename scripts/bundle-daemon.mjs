#!/usr/bin/env node
// Bundles the daemon after tsc: dist/platform/daemon-main.js and everything it imports → dist/daemon/main.js plus
// chunks for what the daemon loads lazily (dynamic imports stay lazy: esbuild splits them into chunks). An idle daemon
// then holds a few modules instead of ~70 (each ES module costs its record, loader state and compiled wrapper: ~3 MB of
// RSS together, measured with bench/rows/memory.js). Only ferry's own modules are bundled: dependencies load from node_modules.
// dist/platform/main.js picks the bundle only when it is at least as new as dist/platform/daemon-main.js. Without
// esbuild (a production install without devDependencies) it warns and exits 0: the daemon then loads the modules.
import {existsSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const entry = join(root, 'dist', 'platform', 'daemon-main.js')
const outdir = join(root, 'dist', 'daemon')

if (!existsSync(entry)) {
  console.error(`bundle-daemon: ${entry} is missing: run tsc first (npm run build).`)
  process.exit(1)
}

let esbuild
try {
  esbuild = await import('esbuild')
} catch {
  console.warn('bundle-daemon: esbuild is not installed; the daemon will load its modules one by one (about 3 MB more RSS).')
  rmSync(outdir, {force: true, recursive: true})
  process.exit(0)
}

rmSync(outdir, {force: true, recursive: true})
await esbuild.build({
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  entryNames: 'main',
  entryPoints: [entry],
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  outdir,
  // Dependencies stay in node_modules, loaded as they are (CommonJS ones would need require(), which an ES bundle
  // lacks; better-sqlite3 is a native addon): only ferry's own modules are bundled.
  packages: 'external',
  platform: 'node',
  splitting: true,
  target: 'node20',
})
