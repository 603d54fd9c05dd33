#!/usr/bin/env node
// Builds the native router data plane (native/router.c → dist/native/ferry-router). Without a C compiler, or
// before native/router.c exists, it warns and exits 0: the daemon then uses the pure-Node router.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'native', 'router.c')
const out = join(root, 'dist', 'native', 'ferry-router')

if (!existsSync(source)) {
  console.warn('warning: native/router.c not found; not building ferry-router (the Node router is used)')
  process.exit(0)
}

if (spawnSync('cc', ['--version'], {stdio: 'ignore'}).error) {
  console.warn('warning: no C compiler (cc); not building ferry-router (the Node router is used)')
  process.exit(0)
}

mkdirSync(dirname(out), {recursive: true})
// Built beside it, then renamed over it: a daemon running the old binary (tests, e2e) is not disturbed.
const temporary = `${out}.${process.pid}.tmp`
const result = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-o', temporary, source], {cwd: root, stdio: 'inherit'})
if (result.status !== 0) {
  rmSync(temporary, {force: true})
  console.error(`error: cc failed building ${out} from native/router.c`)
  process.exit(result.status ?? 1)
}

renameSync(temporary, out)
