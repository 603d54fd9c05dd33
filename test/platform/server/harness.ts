// Test harness: a real API server on 127.0.0.1:0 over a temp data dir, with the in-memory log service and a model supervisor.
import type {AddressInfo} from 'node:net'

import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PlatformConfig, PlatformContext} from '../../../src/platform/context.js'

import {MemoryLogService} from '../../doubles/memory-log-service.js'
import {LazyAddons} from '../../../src/platform/addons/lazy.js'
import {loadOnce} from '../../../src/platform/load-once.js'
import {platformPaths} from '../../../src/platform/paths.js'
import {ReleaseService} from '../../../src/platform/releases/index.js'
import {buildServer, type RouteModule} from '../../../src/platform/server/index.js'
import {Store} from '../../../src/platform/store/index.js'
import {NullSupervisor} from '../../doubles/null-supervisor.js'

export const TOKEN = 'test-token-0123456789abcdef'

export interface Harness {
  close(): Promise<void>
  /** The context's config object, writable here (the platform reads it once; a test may change a limit). */
  config: PlatformConfig
  ctx: PlatformContext
  logs: MemoryLogService
  /** Fetch with the token and v3 Accept header unless overridden. */
  request(method: string, path: string, init?: {body?: unknown; headers?: Record<string, string>; rawBody?: string}): Promise<Response>
  supervisor: NullSupervisor
  url: string
}

export async function startHarness(options: {routes?: RouteModule[]} = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-api-'))
  const paths = platformPaths(dataDir)
  const config: PlatformConfig = {
    bootTimeoutMs: 60_000,
    buildTimeoutMs: 900_000,
    dataDir,
    host: '127.0.0.1',
    isolation: 'none',
    logRetentionLines: 1500,
    port: 0,
    releaseTimeoutMs: 3_600_000,
    routerEngine: 'node',
    routerPort: 5999,
    sourceMaxBytes: 512 * 1024 * 1024,
    stopGraceMs: 1000,
    token: TOKEN,
    version: '0.0.0-test',
  }
  const store = new Store({dataDir, dbPath: paths.db})
  const logs = new MemoryLogService()
  const supervisor = new NullSupervisor()
  const parts = {config, desired: (appId: string) => store.desired(appId), logs, paths, store, supervisor}
  const releases = new ReleaseService(parts)
  const ctx: PlatformContext = {
    ...parts,
    addons: new LazyAddons({config, paths, releases, store}),
    deploy: loadOnce(async () => new (await import('../../../src/platform/deploy/index.js')).DeployService(ctx)),
    git: loadOnce(async () => new (await import('../../../src/platform/git/push.js')).GitService(ctx)),
    releases,
  }
  const {server} = buildServer(ctx, {routes: options.routes})
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  config.port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${config.port}`
  return {
    async close() {
      await new Promise(resolve => server.close(resolve))
      await ctx.addons.loaded?.shutdown()
      store.close()
      rmSync(dataDir, {force: true, recursive: true})
    },
    config,
    ctx,
    logs,
    request(method, path, init = {}) {
      const headers: Record<string, string> = {
        Accept: 'application/vnd.heroku+json; version=3',
        Authorization: `Bearer ${TOKEN}`,
        ...init.headers,
      }
      let body: string | undefined = init.rawBody
      if (init.body !== undefined) body = JSON.stringify(init.body)
      if (body !== undefined) headers['Content-Type'] ??= 'application/json'
      return fetch(url + path, {body, headers, method})
    },
    supervisor,
    url,
  }
}

/** A response body parsed as JSON (undefined when empty). */
export async function json(res: Response): Promise<any> {
  const text = await res.text()
  return text ? JSON.parse(text) : undefined
}

/** POST /apps through the harness; expects 201 and returns the app. */
export async function createApp(h: Harness, name: string): Promise<any> {
  const res = await h.request('POST', '/apps', {body: {name}})
  if (res.status !== 201) throw new Error(`POST /apps ${name} → ${res.status} ${await res.text()}`)
  return json(res)
}
