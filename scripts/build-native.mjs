#!/usr/bin/env node
// Builds the native router data plane: every native/*.c (one program; native/router.h is their shared header) →
// dist/native/ferry-router, hardened (stack protector, _FORTIFY_SOURCE=2, PIE, full RELRO), and its sanitizer build
// dist/native/ferry-router-asan (ASan + UBSan, every finding fatal), which the router suite also runs against
// (test/platform/router/engines.ts). `--sanitize` builds only the sanitizer build. Without a C compiler, or without
// native/router.c (the entry), it warns and exits 0: the daemon then uses the pure-Node router. A compiler without sanitizer support skips the sanitizer build with a warning.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const nativeDir = join(root, 'native')
const entry = join(nativeDir, 'router.c')
const outDir = join(root, 'dist', 'native')

/** The hardening flags (checked in test/platform/router/hardening.test.ts). */
const HARDENING = ['-fstack-protector-strong', '-D_FORTIFY_SOURCE=2', '-fPIE', '-pie', '-Wl,-z,relro,-z,now']
const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer', '-g']

const builds = {
  'ferry-router': ['-O2', '-Wall', '-Wextra', ...HARDENING],
  'ferry-router-asan': ['-O1', '-Wall', '-Wextra', ...SANITIZE],
}

if (!existsSync(entry)) {
  console.warn('warning: native/router.c not found; not building ferry-router (the Node router is used)')
  process.exit(0)
}

if (spawnSync('cc', ['--version'], {stdio: 'ignore'}).error) {
  console.warn('warning: no C compiler (cc); not building ferry-router (the Node router is used)')
  process.exit(0)
}

// The rules both engines share (src/platform/router/rules.ts, compiled by tsc, which `npm run build` runs first),
// rendered as the C header native/router.h includes.
const rules = join(root, 'dist', 'platform', 'router', 'c-header.js')
if (!existsSync(rules)) {
  console.error('error: dist/platform/router/c-header.js is missing: compile the TypeScript first (`npm run build` does both)')
  process.exit(1)
}

const genDir = join(outDir, 'gen')
mkdirSync(genDir, {recursive: true})
const {cHeader} = await import(pathToFileURL(rules).href)
writeFileSync(join(genDir, 'router-rules.h'), cHeader())
const sanitizeOnly = process.argv.includes('--sanitize')
// The translation units, compiled and linked together (sorted: the same command line on every machine).
const sources = readdirSync(nativeDir).filter(f => f.endsWith('.c')).sort().map(f => join(nativeDir, f))
for (const [name, flags] of Object.entries(builds)) {
  if (sanitizeOnly && name === 'ferry-router') continue
  const out = join(outDir, name)
  // Built beside it, then renamed over it: a daemon running the old binary (tests, e2e) is not disturbed.
  const temporary = `${out}.${process.pid}.tmp`
  const result = spawnSync('cc', [...flags, '-I', genDir, '-o', temporary, ...sources], {cwd: root, stdio: name === 'ferry-router' ? 'inherit' : 'pipe'})
  if (result.status === 0) {
    renameSync(temporary, out)
    continue
  }

  rmSync(temporary, {force: true})
  if (name === 'ferry-router-asan' && !sanitizeOnly) {
    // Only the test build: a toolchain without libasan/libubsan still builds the router itself.
    console.warn(`warning: cc could not build ${out} (sanitizers unsupported?); the router suite runs without it:\n${result.stderr}`)
    continue
  }

  if (result.stderr) process.stderr.write(result.stderr)
  console.error(`error: cc failed building ${out} from native/*.c`)
  process.exit(result.status ?? 1)
}
