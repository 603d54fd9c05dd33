// The native router child is hardened: built with the usual flags (checked on the ELF, like checksec), and run with an
// empty environment inside its own bwrap sandbox, where the daemon's data dir (its token) does not exist.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {NativeRouter} from '../../../src/platform/router/native.js'
import {asanBinary, binary, bwrap, getStatus} from './engines.js'

const ci = Boolean(process.env.CI)

function readelf(...args: string[]): string {
  const r = spawnSync('readelf', ['-W', ...args], {encoding: 'utf8'})
  if (r.error) throw new Error(`readelf: ${r.error.message} (install binutils)`)
  return r.stdout
}

describe.skipIf(!binary && !ci)('ferry-router build hardening (ELF)', () => {
  it('is a PIE with full RELRO, a stack protector and fortified libc calls', () => {
    expect(readelf('-h', binary!)).toMatch(/Type:\s+DYN \(Position-Independent Executable file\)/)
    const dynamic = readelf('-d', binary!)
    expect(dynamic).toMatch(/\(FLAGS\)\s+BIND_NOW/)
    expect(dynamic).toMatch(/\(FLAGS_1\)\s+Flags: NOW PIE/)
    expect(readelf('-l', binary!)).toMatch(/GNU_RELRO/)
    const symbols = readelf('--dyn-syms', binary!)
    expect(symbols).toContain('__stack_chk_fail')
    // _FORTIFY_SOURCE=2: checked variants of the copies and formats native/*.c make.
    expect(symbols).toMatch(/__(memcpy|snprintf|vsnprintf)_chk/)
  })

  it('has its sanitizer build next to it (ASan + UBSan), which the router suites also run', {skip: !asanBinary && !ci}, () => {
    const symbols = readelf('--dyn-syms', asanBinary!)
    expect(symbols).toContain('__asan_init')
    expect(symbols).toMatch(/__ubsan_handle_/)
  })
})

describe.skipIf(!binary && !ci)('ferry-router child confinement', () => {
  let dyno: http.Server
  let dataDir: string
  const routers: NativeRouter[] = []

  beforeAll(async () => {
    dyno = http.createServer((req, res) => res.end('ok'))
    await new Promise<void>(r => dyno.listen(0, '127.0.0.1', r))
    // A stand-in for the daemon's data dir, with a token in it.
    dataDir = mkdtempSync(join(tmpdir(), 'ferry-router-confine-'))
    mkdirSync(join(dataDir, 'run'))
    writeFileSync(join(dataDir, 'run', 'token'), 'secret-token\n', {mode: 0o600})
  })
  afterAll(async () => {
    for (const r of routers) await r.close()
    dyno?.close()
    rmSync(dataDir, {force: true, recursive: true})
  })

  async function start(withBwrap: string | undefined): Promise<{pid: number; port: number}> {
    const router = new NativeRouter({
      binary,
      bwrap: withBwrap,
      log() {},
      port: 0,
      resolveApp: n => (n === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => [{dyno: 'web.1', port: (dyno.address() as net.AddressInfo).port}],
    })
    routers.push(router)
    const port = await router.listen()
    // It routes (the first request asks the daemon about the app; the next one is the child's own).
    for (let i = 0; i < 2; i++) expect(await getStatus(port)).toBe(200)
    return {pid: router.pid!, port}
  }

  it('runs with an empty environment (the daemon\'s may hold secrets)', async () => {
    process.env.FERRY_CONFINEMENT_PROBE = 'must-not-leak'
    try {
      const {pid} = await start(undefined)
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).toBe('')
    } finally {
      delete process.env.FERRY_CONFINEMENT_PROBE
    }
  })

  it('runs in its own bwrap sandbox: no capabilities, no data dir or token, only its own processes', {skip: !bwrap && !ci}, async () => {
    expect(bwrap, 'bwrap must be usable here (CI)').toBeDefined()
    const {pid} = await start(bwrap)
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).toBe('')
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    expect(status).toMatch(/^CapEff:\s+0+$/m)
    expect(status).toMatch(/^CapBnd:\s+0+$/m)
    // Its mount namespace, seen from here: the data dir and the token do not exist there; nor does /etc or /root.
    const root = `/proc/${pid}/root`
    expect(existsSync(join(root, dataDir))).toBe(false)
    expect(existsSync(join(root, dataDir, 'run', 'token'))).toBe(false)
    expect(existsSync(`${root}/etc`)).toBe(false)
    expect(existsSync(`${root}/root`)).toBe(false)
    expect(existsSync(join(dataDir, 'run', 'token'))).toBe(true)
    // Its own pid namespace: it is alone (pid 1), the daemon's /proc/<pid>/root and environ are out of reach.
    expect(readdirSync(`${root}/proc`).filter(e => /^\d+$/.test(e))).toEqual(['1'])
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m)
  })
})
