import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Worker} from 'node:worker_threads'
import {createRequire} from 'node:module'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {migrate, MIGRATIONS, Store, StoreError} from '../../../src/platform/store/index.js'

describe('Store', () => {
  let dir: string
  let store: Store

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-store-'))
    store = new Store({dataDir: dir, dbPath: join(dir, 'ferry.db')})
  })

  afterEach(() => {
    store.close()
    rmSync(dir, {force: true, recursive: true})
  })

  function errorOf(fn: () => unknown): StoreError {
    try {
      fn()
    } catch (error) {
      if (error instanceof StoreError) return error
      throw error
    }

    throw new Error('expected a StoreError')
  }

  describe('apps', () => {
    it('creates v1 Initial release and v2 Enable Logplex, v2 current', () => {
      const app = store.createApp({name: 'demo'})
      const releases = store.listReleases(app.id)
      expect(releases.map(r => [r.version, r.description, r.status, r.current])).toEqual([
        [1, 'Initial release', 'succeeded', false],
        [2, 'Enable Logplex', 'succeeded', true],
      ])
    })

    it('generates adjective-noun-NNNNN names', () => {
      expect(store.createApp().name).toMatch(/^[a-z]+-[a-z]+-\d{5}$/)
    })

    it('rejects invalid and duplicate names with Heroku messages', () => {
      for (const bad of ['Demo', '1demo', 'a', `a${'b'.repeat(30)}`, 'demo-', 'de_mo']) {
        const error = errorOf(() => store.createApp({name: bad}))
        expect(error.id).toBe('invalid_params')
        expect(error.message).toBe('Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.')
      }

      store.createApp({name: 'demo'})
      expect(errorOf(() => store.createApp({name: 'demo'})).message).toBe('Name is already taken')
      expect(store.listApps()).toHaveLength(1)
    })

    it('finds by name or id, renames, deletes with cascade', () => {
      const app = store.createApp({name: 'demo'})
      store.updateConfigVars(app.id, {A: '1'})
      expect(store.findApp(app.id)?.name).toBe('demo')
      store.updateApp('demo', {name: 'shop'})
      expect(store.findApp('demo')).toBeNull()
      expect(store.getApp('shop').id).toBe(app.id)
      store.deleteApp('shop')
      expect(errorOf(() => store.getApp(app.id)).id).toBe('not_found')
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM releases').get()).toEqual({n: 0})
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM config_vars').get()).toEqual({n: 0})
    })
  })

  describe('config vars', () => {
    it('creates a release per change with Heroku descriptions; no-op creates none', () => {
      const app = store.createApp({name: 'demo'})
      expect(store.updateConfigVars(app.id, {BAR: '2', FOO: '1'}).release?.description).toBe('Set BAR, FOO config vars')
      expect(store.updateConfigVars(app.id, {FOO: null}).release?.description).toBe('Remove FOO config vars')
      expect(store.updateConfigVars(app.id, {BAR: null, FOO: null, NEW: 'x'}).release?.description).toBe('Update BAR, NEW config vars')
      expect(store.updateConfigVars(app.id, {BAR: null, NEW: 'x'}).release).toBeNull()
      expect(store.configVars(app.id)).toEqual({NEW: 'x'})
      expect(store.latestRelease(app.id)?.version).toBe(5)
      expect(store.getRelease(app.id, 'v3').config).toEqual({BAR: '2', FOO: '1'})
    })

    it('treats prototype-like keys as ordinary keys', () => {
      const app = store.createApp({name: 'demo'})
      const patch = JSON.parse('{"__proto__": "x", "constructor": "y"}')
      expect(store.updateConfigVars(app.id, patch).release?.description).toBe('Set __proto__, constructor config vars')
      expect(store.updateConfigVars(app.id, patch).release).toBeNull()
      expect(Object.keys(store.configVars(app.id))).toEqual(['__proto__', 'constructor'])
      expect(store.updateConfigVars(app.id, {toString: null}).release).toBeNull()
      const slug = store.createSlug({appId: app.id, processTypes: {constructor: 'a', web: 'b'}})
      store.createRelease({appId: app.id, description: 'Deploy', initialQuantities: {}, slugId: slug.id})
      expect(store.formation(app.id).map(f => [f.type, f.quantity])).toEqual([['constructor', 0], ['web', 1]])
    })

    it('rejects bad keys and non-string values, changing nothing', () => {
      const app = store.createApp({name: 'demo'})
      expect(errorOf(() => store.updateConfigVars(app.id, {'A B': 'x'})).id).toBe('invalid_params')
      expect(errorOf(() => store.updateConfigVars(app.id, {A: 1 as any})).id).toBe('invalid_params')
      expect(store.configVars(app.id)).toEqual({})
      expect(store.listReleases(app.id)).toHaveLength(2)
    })

    it('config releases copy the current slug', () => {
      const app = store.createApp({name: 'demo'})
      const slug = store.createSlug({appId: app.id, processTypes: {web: 'node server.js'}})
      store.createRelease({appId: app.id, description: 'Deploy abc', slugId: slug.id})
      const {release} = store.updateConfigVars(app.id, {A: '1'})
      expect(release?.slugId).toBe(slug.id)
      expect(release?.version).toBe(4)
    })
  })

  describe('release numbering', () => {
    it('assigns 1..N without gaps or duplicates under many interleaved config patches from several connections', async () => {
      const app = store.createApp({name: 'demo'})
      const dbPath = join(dir, 'ferry.db')
      const workers = 4
      const perWorker = 25
      const code = `
        const {workerData, parentPort} = require('node:worker_threads')
        const Database = require(workerData.sqlite)
        parentPort.postMessage('ready')
        parentPort.once('message', async () => {
          // A second process-like writer using the same IMMEDIATE + MAX(version)+1 scheme as the Store.
          const db = new Database(workerData.dbPath)
          db.pragma('busy_timeout = 10000')
          const tx = db.transaction((i) => {
            const v = db.prepare('SELECT COALESCE(MAX(version),0)+1 AS v FROM releases WHERE app_id = ?').get(workerData.appId).v
            db.prepare("INSERT INTO releases (id, app_id, version, description, status, slug_id, config, user_id, created_at, updated_at) " +
              "VALUES (?, ?, ?, 'w', 'succeeded', NULL, '{}', 'u', 'x', 'x')")
              .run(require('node:crypto').randomUUID(), workerData.appId, v)
          })
          for (let i = 0; i < workerData.n; i++) { tx.immediate(i); await new Promise(r => setImmediate(r)) }
          db.close()
          parentPort.postMessage('done')
        })`
      const sqlite = createRequire(import.meta.url).resolve('better-sqlite3')
      const ws = Array.from({length: workers}, () => new Worker(code, {eval: true, workerData: {appId: app.id, dbPath, n: perWorker, sqlite}}))
      await Promise.all(ws.map(w => new Promise(resolve => w.once('message', resolve))))
      const finished = ws.map(w => new Promise(resolve => w.once('message', resolve)))
      for (const w of ws) w.postMessage('go')
      // Meanwhile the Store itself applies config patches on the main thread.
      for (let i = 0; i < perWorker; i++) {
        store.updateConfigVars(app.id, {COUNTER: String(i)})
        await new Promise(resolve => setImmediate(resolve))
      }

      await Promise.all(finished)
      await Promise.all(ws.map(w => w.terminate()))
      const versions = store.listReleases(app.id).map(r => r.version)
      const total = 2 + (perWorker * (workers + 1))
      expect(versions).toEqual(Array.from({length: total}, (_, i) => i + 1))
    })
  })

  describe('rollback', () => {
    it('creates a new release with the target slug and config and restores config vars', () => {
      const app = store.createApp({name: 'demo'})
      const slug1 = store.createSlug({appId: app.id, processTypes: {web: 'v1'}})
      store.createRelease({appId: app.id, description: 'Deploy 1', slugId: slug1.id}) // v3
      store.updateConfigVars(app.id, {A: '1'}) // v4
      const slug2 = store.createSlug({appId: app.id, processTypes: {web: 'v2', worker: 'w'}})
      store.createRelease({appId: app.id, description: 'Deploy 2', slugId: slug2.id}) // v5
      store.updateConfigVars(app.id, {A: '2', B: 'x'}) // v6
      const rb = store.rollback(app.id, 4)
      expect(rb.version).toBe(7)
      expect(rb.description).toBe('Rollback to v4')
      expect(rb.slugId).toBe(slug1.id)
      expect(rb.config).toEqual({A: '1'})
      expect(rb.current).toBe(true)
      expect(store.configVars(app.id)).toEqual({A: '1'})
      expect(store.formation(app.id).map(f => [f.type, f.command])).toEqual([['web', 'v1']])
      expect(store.getRelease(app.id, 6).config).toEqual({A: '2', B: 'x'})
    })

    it('rollback to a missing version is not_found and creates nothing', () => {
      const app = store.createApp({name: 'demo'})
      expect(errorOf(() => store.rollback(app.id, 99)).id).toBe('not_found')
      expect(store.listReleases(app.id)).toHaveLength(2)
    })
  })

  describe('formation', () => {
    function deploy(appId: string, processTypes: Record<string, string>, extra: {initialQuantities?: Record<string, number>} = {}) {
      const slug = store.createSlug({appId, processTypes})
      return store.createRelease({appId, description: 'Deploy', slugId: slug.id, ...extra})
    }

    it('syncs to process types: web=1 first time, others 0; keeps quantity; new command; removes vanished', () => {
      const app = store.createApp({name: 'demo'})
      const release = deploy(app.id, {release: 'migrate', web: 'node a.js', worker: 'node w.js'})
      // A slug with a release command makes a pending release: the formation follows when its release phase succeeds.
      expect(release.status).toBe('pending')
      expect(store.formation(app.id)).toEqual([])
      store.setReleaseStatus(release.id, 'succeeded')
      expect(store.formation(app.id).map(f => [f.type, f.quantity, f.command, f.size])).toEqual([
        ['web', 1, 'node a.js', 'Basic'],
        ['worker', 0, 'node w.js', 'Basic'],
      ])
      store.updateFormation(app.id, [{quantity: 3, type: 'web'}, {quantity: '2', type: 'worker'}])
      deploy(app.id, {clock: 'node c.js', web: 'node b.js'})
      expect(store.formation(app.id).map(f => [f.type, f.quantity, f.command])).toEqual([
        ['clock', 0, 'node c.js'],
        ['web', 3, 'node b.js'],
      ])
    })

    it('a config change or rollback of a slug with a release command is pending; failing it restores the config it changed', () => {
      const app = store.createApp({name: 'demo'})
      store.updateConfigVars(app.id, {KEEP: 'k', MARK: 'one'})
      store.setReleaseStatus(deploy(app.id, {release: 'migrate', web: 'a'}).id, 'succeeded')
      const current = store.currentRelease(app.id)!
      const {release} = store.updateConfigVars(app.id, {ADDED: 'x', KEEP: null, MARK: 'two'})
      expect(release!.status).toBe('pending')
      expect(store.currentRelease(app.id)!.version).toBe(current.version)
      // Changed meanwhile (by a later release): kept when the pending one fails.
      store.db.prepare("UPDATE config_vars SET value = 'three' WHERE app_id = ? AND key = 'MARK'").run(app.id)
      store.setReleaseStatus(release!.id, 'failed', {restoreConfig: true})
      expect(store.configVars(app.id)).toEqual({KEEP: 'k', MARK: 'three'})
      store.setReleaseStatus(store.updateConfigVars(app.id, {MARK: 'four'}).release!.id, 'succeeded')
      const rollback = store.rollback(app.id, current.version)
      expect(rollback.status).toBe('pending')
      expect(store.configVars(app.id)).toEqual({KEEP: 'k', MARK: 'one'})
      store.setReleaseStatus(rollback.id, 'failed', {restoreConfig: true})
      expect(store.configVars(app.id)).toEqual({KEEP: 'k', MARK: 'four'})
      expect(store.currentRelease(app.id)!.config).toEqual({KEEP: 'k', MARK: 'four'})
    })

    it('honours initialQuantities for new types', () => {
      const app = store.createApp({name: 'demo'})
      deploy(app.id, {web: 'a', worker: 'b'}, {initialQuantities: {web: 2, worker: 1}})
      expect(store.formation(app.id).map(f => [f.type, f.quantity])).toEqual([['web', 2], ['worker', 1]])
    })

    it('pending releases sync the formation only when they succeed; failed ones never', () => {
      const app = store.createApp({name: 'demo'})
      const slug = store.createSlug({appId: app.id, processTypes: {web: 'a'}})
      const pending = store.createRelease({appId: app.id, description: 'Deploy', outputStreamUrl: r => `http://x/${r.id}`, slugId: slug.id, status: 'pending'})
      expect(pending.status).toBe('pending')
      expect(pending.current).toBe(false)
      expect(pending.outputStreamUrl).toBe(`http://x/${pending.id}`)
      expect(store.formation(app.id)).toEqual([])
      expect(store.desired(app.id)?.release).toBeNull()
      const ok = store.setReleaseStatus(pending.id, 'succeeded')
      expect(ok.current).toBe(true)
      expect(store.formation(app.id).map(f => f.type)).toEqual(['web'])
      const slug2 = store.createSlug({appId: app.id, processTypes: {other: 'b'}})
      const bad = store.createRelease({appId: app.id, description: 'Deploy', slugId: slug2.id, status: 'pending'})
      expect(store.setReleaseStatus(bad.id, 'failed').status).toBe('failed')
      expect(store.formation(app.id).map(f => f.type)).toEqual(['web'])
      expect(store.currentRelease(app.id)?.id).toBe(ok.id)
      expect(errorOf(() => store.setReleaseStatus(bad.id, 'succeeded')).id).toBe('conflict')
    })

    it('applies relative, absolute and string quantities with floor 0, sizes case-insensitively', () => {
      const app = store.createApp({name: 'demo'})
      deploy(app.id, {web: 'a', worker: 'b'})
      store.updateFormation(app.id, [{quantity: '+2', type: 'web'}, {quantity: '-5', type: 'worker'}])
      expect(store.formation(app.id).map(f => f.quantity)).toEqual([3, 0])
      const [web] = store.updateFormation(app.id, [{quantity: '-1', size: 'standard-1x', type: 'web'}])
      expect([web.quantity, web.size]).toEqual([2, 'Standard-1X'])
      expect(store.updateFormation(app.id, [{size: 'performance-m', type: 'worker'}])[0].size).toBe('Performance-M')
    })

    it('rejects bad scale requests and leaves the whole formation unchanged', () => {
      const app = store.createApp({name: 'demo'})
      deploy(app.id, {web: 'a', worker: 'b'})
      const before = store.formation(app.id)
      const cases: Array<[any[], string, RegExp]> = [
        [[{quantity: 2, type: 'web'}, {quantity: 1, type: 'nope'}], 'not_found', /^Couldn't find that process type \(nope\)\.$/],
        [[{quantity: 2, type: 'web'}, {quantity: 'abc', type: 'worker'}], 'invalid_params', /Invalid quantity "abc"/],
        [[{quantity: -1, type: 'web'}], 'invalid_params', /Invalid quantity -1/],
        [[{quantity: 1.5, type: 'web'}], 'invalid_params', /Invalid quantity 1.5/],
        [[{quantity: 2, type: 'web'}, {quantity: '100000', type: 'worker'}], 'invalid_params', /limit is 100 per process type/],
        [[{quantity: 100, type: 'web'}, {quantity: '+1', type: 'web'}], 'invalid_params', /Cannot scale web to 101/],
        [[{quantity: 2, type: 'web'}, {size: 'Huge', type: 'worker'}], 'invalid_params', /Unknown dyno size "Huge"/],
      ]
      for (const [updates, id, message] of cases) {
        const error = errorOf(() => store.updateFormation(app.id, updates))
        expect(error.id).toBe(id)
        expect(error.message).toMatch(message)
        expect(store.formation(app.id)).toEqual(before)
      }

      expect(store.updateFormation(app.id, [{quantity: 100, type: 'web'}])[0].quantity).toBe(100)
    })

    it('desired() gives current slug path, config env and formation', () => {
      const app = store.createApp({name: 'demo'})
      expect(store.desired(app.id)).toEqual({appId: app.id, appName: 'demo', formation: [], release: null})
      store.updateConfigVars(app.id, {A: '1'})
      const r = deploy(app.id, {web: 'a'})
      const d = store.desired(app.id)!
      expect(d.release).toEqual({env: {A: '1'}, id: r.id, slugPath: join(dir, 'slugs', `${r.slugId}.tgz`), version: r.version})
      expect(d.formation).toEqual([{command: 'a', quantity: 1, size: 'Basic', type: 'web'}])
      expect(store.desired('nope')).toBeNull()
    })
  })

  describe('prepared statements', () => {
    it('compiles each statement once per store: repeating a change and the reads prepares nothing new', () => {
      const app = store.createApp({name: 'demo'})
      const round = (i: number) => {
        store.updateConfigVars(app.id, {A: String(i)})
        store.listReleases(app.id)
        store.desired(app.id)
        store.listApps()
      }

      round(1)
      const prepare = store.db.prepare.bind(store.db)
      let prepared = 0
      store.db.prepare = ((sql: string) => {
        prepared++
        return prepare(sql)
      }) as typeof store.db.prepare
      round(2)
      round(3)
      expect(prepared).toBe(0)
      expect(store.listReleases(app.id).map(r => [r.version, r.config])).toEqual([[1, {}], [2, {}], [3, {A: '1'}], [4, {A: '2'}], [5, {A: '3'}]])
    })
  })

  describe('migrations', () => {
    it('applies only migrations not yet recorded, in version order', () => {
      const extra = [
        {name: 'second', sql: 'CREATE TABLE extra_b (x INTEGER)', version: 1001},
        {name: 'first', sql: 'CREATE TABLE extra_a (x INTEGER)', version: 1000},
      ]
      expect(migrate(store.db, [...MIGRATIONS, ...extra])).toEqual([1000, 1001])
      expect(migrate(store.db, [...MIGRATIONS, ...extra])).toEqual([])
      const versions = (store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{version: number}>).map(r => r.version)
      expect(versions).toEqual([...MIGRATIONS.map(m => m.version), 1000, 1001])
      const failing = [{name: 'broken', sql: 'CREATE TABLE extra_c (x); SELECT * FROM no_such_table', version: 1002}]
      expect(() => migrate(store.db, [...MIGRATIONS, ...failing])).toThrow()
      expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra_c'").get()).toBeUndefined()
    })

    it('records applied versions and reopens an existing database', () => {
      store.createApp({name: 'demo'})
      const accountId = store.account().id
      store.close()
      store = new Store({dataDir: dir, dbPath: join(dir, 'ferry.db')})
      expect(store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map(m => ({version: m.version})))
      expect(store.account().id).toBe(accountId)
      expect(store.getApp('demo').name).toBe('demo')
      expect(store.db.pragma('journal_mode', {simple: true})).toBe('wal')
      expect(store.db.pragma('foreign_keys', {simple: true})).toBe(1)
    })
  })
})
