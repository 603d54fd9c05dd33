// The native router asks the daemon about every Host name it has no entry for, and the daemon keeps the answers up
// to date. A name with no app (a scan, a typo) used to be re-checked every 50 ms forever; now it is forgotten on
// both sides after a while, and asked about again if a request names it later (an app created under it is routed).
import http from 'node:http'
import type net from 'node:net'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {NativeRouter} from '../../../src/platform/router/native.js'
import {binary, getStatus} from './engines.js'

const TTL_MS = 300

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

describe.skipIf(!binary && !process.env.CI)('native router: names with no app', () => {
  let dyno: http.Server
  let router: NativeRouter
  let port: number
  const lookups = new Map<string, number>()
  const apps = new Set(['demo'])

  beforeAll(async () => {
    dyno = http.createServer((req, res) => res.end('ok'))
    await new Promise<void>(r => dyno.listen(0, '127.0.0.1', r))
    router = new NativeRouter({
      binary,
      log() {},
      port: 0,
      resolveApp(name) {
        lookups.set(name, (lookups.get(name) ?? 0) + 1)
        return apps.has(name) ? {id: `app-${name}`, name} : undefined
      },
      targets: () => [{dyno: 'web.1', port: (dyno.address() as net.AddressInfo).port}],
      unknownNameTtlMs: TTL_MS,
    })
    port = await router.listen()
  })
  afterAll(async () => {
    await router?.close()
    dyno?.close()
  })

  it('stops looking up an unknown name after a while, and routes it once an app takes the name', async () => {
    expect(await getStatus(port, 'demo.localhost')).toBe(200)
    for (let i = 0; i < 20; i++) expect(await getStatus(port, `scan${i}.localhost`)).toBe(404)
    await router.refresh()
    // Past the time limit (and a few polls more), nothing looks the unknown names up any more.
    await sleep(TTL_MS + 200)
    const settled = lookups.get('scan0')!
    await sleep(300)
    expect(lookups.get('scan0')).toBe(settled)
    // A real app's name stays tracked (its dynos change).
    const demo = lookups.get('demo')!
    await sleep(120)
    expect(lookups.get('demo')!).toBeGreaterThan(demo)
    // An app created under a forgotten name: the child asks again on the next request, and routes it itself.
    apps.add('scan0')
    expect(await getStatus(port, 'scan0.localhost')).toBe(200)
    expect(lookups.get('scan0')!).toBeGreaterThan(settled)
    await router.refresh()
    const fallback = vi.spyOn(router.fallback, 'logInfo')
    expect(await getStatus(port, 'scan0.localhost')).toBe(200)
    await router.refresh()
    expect(fallback).not.toHaveBeenCalled()
  })
})
