// The platform's source of truth: SQLite via better-sqlite3. Every mutation is one (IMMEDIATE) transaction;
// release versions are assigned inside it, so concurrent changes never lose or duplicate a vN.
import type BetterSqlite3 from 'better-sqlite3'

import {randomUUID} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import type {ConfigVars, ConfigVarsPatch, FormationChange, ProcessTypes, ReleaseStatus} from './types.js'
import type {DesiredApp} from '../context.js'

import {isoTimestamp} from '../time.js'
import {invalidError, notFoundError, StoreError} from './errors.js'
import {DEFAULT_SIZE, MAX_QUANTITY_PER_TYPE, normalizeSize, resolveQuantity} from './formation.js'
import {migrate} from './migrations.js'
import {APP_NAME_MESSAGE, APP_NAME_RE, generateAppName} from './names.js'

// better-sqlite3 is CommonJS: require() it. An ESM `import` would first run Node's CommonJS export lexer over it,
// which loads and compiles the lexer for this one module (~1 MB of daemon RSS).
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3

export const DEFAULT_STACK = 'heroku-24'
export const LOCAL_USER_EMAIL = 'dev@ferry.local'

export interface AccountRecord {createdAt: string; email: string; id: string; name: string | null; updatedAt: string}

export interface AppRecord {
  buildpackProvidedDescription: null | string
  buildStack: string
  createdAt: string
  id: string
  maintenance: boolean
  name: string
  releasedAt: null | string
  repoSize: null | number
  /** Size of the current release's slug. */
  slugSize: null | number
  stack: string
  updatedAt: string
}

export interface ReleaseRecord {
  appId: string
  appName: string
  config: ConfigVars
  createdAt: string
  /** The latest succeeded release of its app. */
  current: boolean
  description: string
  id: string
  outputStreamUrl: null | string
  slugId: null | string
  status: ReleaseStatus
  updatedAt: string
  userEmail: string
  userId: string
  version: number
}

export interface SlugRecord {
  appId: string
  /** Absolute path of the slug tarball. */
  blobPath: string
  buildpackProvidedDescription: null | string
  checksum: null | string
  commit: null | string
  commitDescription: null | string
  createdAt: string
  id: string
  processTypes: ProcessTypes
  size: null | number
  stack: string
  updatedAt: string
}

export interface FormationRecord {
  appId: string
  appName: string
  command: string
  createdAt: string
  id: string
  quantity: number
  size: string
  type: string
  updatedAt: string
}

export type BuildStatus = 'failed' | 'pending' | 'succeeded'

export interface SourceBlob {checksum: null | string; url: string; version: null | string; version_description: null | string}

export interface BuildRecord {
  appId: string
  buildpacks: Array<{name: string; url: string}> | null
  createdAt: string
  id: string
  /** Absolute path of the build output log. */
  outputPath: string
  releaseId: null | string
  slugId: null | string
  sourceBlob: SourceBlob
  stack: string
  status: BuildStatus
  updatedAt: string
  userEmail: string
  userId: string
}

export interface BuildpackInstallationRecord {name: string; ordinal: number; url: string}

export interface CreateReleaseOptions {
  appId: string
  /** Config snapshot; defaults to the app's current config vars. */
  config?: ConfigVars
  description: string
  /** Initial quantities for process types new to the formation (app.json `formation`); default web=1, others 0. */
  initialQuantities?: Record<string, number>
  /** A URL, or a function of the new release (its id is only known inside the transaction). */
  outputStreamUrl?: ((release: {id: string; version: number}) => string) | string
  slugId: null | string
  /** Default 'pending' when the slug has a `release` process type (the release phase runs, then setReleaseStatus), else 'succeeded'. */
  status?: 'failed' | 'pending' | 'succeeded'
}

export interface ConfigChange {
  config: ConfigVars
  /** The release created for the change, or null when the patch changed nothing. */
  release: null | ReleaseRecord
}

export interface StoreOptions {
  /** Directory of slug tarballs (default: `slugs/` beside the database). */
  dataDir?: string
  dbPath: string
  now?: () => Date
}

interface AppRow {
  build_stack: string
  buildpack_provided_description: null | string
  created_at: string
  id: string
  maintenance: number
  name: string
  released_at: null | string
  repo_size: null | number
  slug_size: null | number
  stack: string
  updated_at: string
}

interface ReleaseRow {
  app_id: string
  app_name: string
  config: string
  created_at: string
  current_version: null | number
  description: string
  id: string
  output_stream_url: null | string
  slug_id: null | string
  status: ReleaseStatus
  updated_at: string
  user_email: string
  user_id: string
  version: number
}

const UUID_RE = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i
const CONFIG_KEY_RE = /^\w+$/

/**
 * All config vars of an app together (UTF-8 bytes of keys and values), as Heroku caps them: they become the dyno's
 * environment, and an oversized one makes every exec fail with E2BIG (a crash loop); each release also keeps a copy.
 */
export const CONFIG_MAX_BYTES = 32 * 1024

function configBytes(config: ConfigVars): number {
  let total = 0
  for (const [key, value] of Object.entries(config)) total += Buffer.byteLength(key) + Buffer.byteLength(value)
  return total
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`
}

/** ISO 8601 without milliseconds, like Heroku. */
function iso(date: Date): string {
  return isoTimestamp(date, false)
}

const RELEASE_SELECT = `
  SELECT r.*, a.name AS app_name, u.email AS user_email,
    (SELECT MAX(version) FROM releases c WHERE c.app_id = r.app_id AND c.status = 'succeeded') AS current_version
  FROM releases r JOIN apps a ON a.id = r.app_id LEFT JOIN account u ON u.id = r.user_id`

const APP_SELECT = `
  SELECT a.*, (SELECT s.size FROM slugs s WHERE s.id = (SELECT r.slug_id FROM releases r
               WHERE r.app_id = a.id AND r.status = 'succeeded' ORDER BY r.version DESC LIMIT 1)) AS slug_size
  FROM apps a`

export class Store {
  readonly db: BetterSqlite3.Database
  private readonly dataDir: string
  private readonly now: () => Date

  constructor(options: StoreOptions) {
    mkdirSync(dirname(options.dbPath), {recursive: true})
    this.dataDir = options.dataDir ?? dirname(options.dbPath)
    this.now = options.now ?? (() => new Date())
    this.db = new Database(options.dbPath)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('foreign_keys = ON')
    this.db.pragma('busy_timeout = 5000')
    this.db.pragma('synchronous = NORMAL')
    migrate(this.db)
    this.ensureAccount()
  }

  close(): void {
    this.db.close()
  }

  /** Runs fn in one IMMEDIATE transaction (takes the write lock up front, so read-then-write is safe across connections). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate()
  }

  // ---- account ----

  account(): AccountRecord {
    const row = this.db.prepare('SELECT * FROM account ORDER BY created_at LIMIT 1').get() as any
    return {createdAt: row.created_at, email: row.email, id: row.id, name: row.name, updatedAt: row.updated_at}
  }

  private ensureAccount(): void {
    this.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM account LIMIT 1').get()
      if (exists) return
      const at = iso(this.now())
      this.db.prepare('INSERT INTO account (id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(randomUUID(), LOCAL_USER_EMAIL, 'Local Developer', at, at)
    })
  }

  // ---- apps ----

  listApps(): AppRecord[] {
    return (this.db.prepare(`${APP_SELECT} ORDER BY a.name`).all() as AppRow[]).map(appRecord)
  }

  /** Finds an app by name or id; null when unknown. */
  findApp(nameOrId: string): AppRecord | null {
    const row = this.db.prepare(`${APP_SELECT} WHERE a.name = ? OR a.id = ?`).get(nameOrId, nameOrId) as AppRow | undefined
    return row ? appRecord(row) : null
  }

  /** The app a custom domain (domains.ts) routes to; null when no app has it. */
  findAppByDomain(hostname: string): AppRecord | null {
    const row = this.db.prepare(`${APP_SELECT} WHERE a.id = (SELECT app_id FROM domains WHERE hostname = ?)`).get(hostname) as AppRow | undefined
    return row ? appRecord(row) : null
  }

  /** Like findApp but throws not_found "Couldn't find that app." */
  getApp(nameOrId: string): AppRecord {
    const app = this.findApp(nameOrId)
    if (!app) throw notFoundError("Couldn't find that app.")
    return app
  }

  /** Creates an app with v1 "Initial release" and v2 "Enable Logplex". */
  createApp(input: {name?: string; stack?: string} = {}): AppRecord {
    return this.transaction(() => {
      let name = input.name
      if (name === undefined) {
        do name = generateAppName()
        while (this.findApp(name))
      } else {
        validateAppName(name)
        if (this.findApp(name)) throw invalidError('Name is already taken')
      }

      const stack = input.stack ?? DEFAULT_STACK
      const id = randomUUID()
      const at = iso(this.now())
      this.db
        .prepare('INSERT INTO apps (id, name, stack, build_stack, created_at, updated_at, released_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, name, stack, stack, at, at, at)
      this.insertRelease({appId: id, config: {}, description: 'Initial release', slugId: null})
      this.insertRelease({appId: id, config: {}, description: 'Enable Logplex', slugId: null})
      return this.getApp(id)
    })
  }

  updateApp(nameOrId: string, changes: {buildStack?: string; maintenance?: boolean; name?: string}): AppRecord {
    return this.transaction(() => {
      const app = this.getApp(nameOrId)
      const at = iso(this.now())
      if (changes.name !== undefined && changes.name !== app.name) {
        validateAppName(changes.name)
        if (this.findApp(changes.name)) throw invalidError('Name is already taken')
        this.db.prepare('UPDATE apps SET name = ?, updated_at = ? WHERE id = ?').run(changes.name, at, app.id)
      }

      if (changes.maintenance !== undefined) {
        this.db.prepare('UPDATE apps SET maintenance = ?, updated_at = ? WHERE id = ?').run(changes.maintenance ? 1 : 0, at, app.id)
      }

      if (changes.buildStack !== undefined) {
        this.db.prepare('UPDATE apps SET build_stack = ?, updated_at = ? WHERE id = ?').run(changes.buildStack, at, app.id)
      }

      return this.getApp(app.id)
    })
  }

  /** Sets build-derived app fields (after a successful build). */
  setAppBuildInfo(appId: string, info: {buildpackProvidedDescription?: null | string; repoSize?: null | number}): void {
    this.transaction(() => {
      const app = this.getApp(appId)
      if (info.buildpackProvidedDescription !== undefined) {
        this.db.prepare('UPDATE apps SET buildpack_provided_description = ? WHERE id = ?').run(info.buildpackProvidedDescription, app.id)
      }

      if (info.repoSize !== undefined) this.db.prepare('UPDATE apps SET repo_size = ? WHERE id = ?').run(info.repoSize, app.id)
    })
  }

  /** Deletes an app and everything it owns (cascade); returns the deleted app. */
  deleteApp(nameOrId: string): AppRecord {
    return this.transaction(() => {
      const app = this.getApp(nameOrId)
      this.db.prepare('DELETE FROM apps WHERE id = ?').run(app.id)
      return app
    })
  }

  // ---- config vars ----

  configVars(appId: string): ConfigVars {
    const rows = this.db.prepare('SELECT key, value FROM config_vars WHERE app_id = ? ORDER BY key').all(appId) as Array<{key: string; value: string}>
    return Object.fromEntries(rows.map(r => [r.key, r.value]))
  }

  /**
   * Merges a patch (null removes a key). A real change creates a release copying the current slug:
   * "Set A, B config vars" / "Remove A config vars" / "Update A, B config vars". A no-op creates nothing.
   */
  updateConfigVars(appId: string, patch: ConfigVarsPatch): ConfigChange {
    for (const [key, value] of Object.entries(patch)) {
      if (!CONFIG_KEY_RE.test(key)) {
        throw invalidError(`Invalid config var name "${key}": names may contain only letters, digits and underscores.`)
      }

      if (value !== null && typeof value !== 'string') {
        throw invalidError(`Invalid value for config var ${key}: must be a string, or null to remove it.`)
      }

      // A NUL ends a C string: in the dyno's environment `A=x\0B=y` would become two variables.
      if (value?.includes('\0')) throw invalidError(`Invalid value for config var ${key}: it contains a NUL character, which an environment variable cannot hold.`)
    }

    return this.transaction(() => {
      const app = this.getApp(appId)
      const before = this.configVars(app.id)
      const set: string[] = []
      const removed: string[] = []
      const changed: string[] = []
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) {
          if (Object.hasOwn(before, key)) {
            this.db.prepare('DELETE FROM config_vars WHERE app_id = ? AND key = ?').run(app.id, key)
            removed.push(key)
            changed.push(key)
          }
        } else if (!Object.hasOwn(before, key) || before[key] !== value) {
          this.db.prepare('INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?) ON CONFLICT (app_id, key) DO UPDATE SET value = excluded.value').run(app.id, key, value)
          set.push(key)
          changed.push(key)
        }
      }

      const config = this.configVars(app.id)
      if (changed.length === 0) return {config, release: null}
      const size = configBytes(config)
      // A patch that does not grow an app already over the limit (an older database) stays allowed: it may be the fix.
      if (size > CONFIG_MAX_BYTES && size > configBytes(before)) {
        const limit = 'the limit is 32 KB for all keys and values combined. Keep large data in a file or an add-on instead.'
        throw invalidError(`Config vars of ${app.name} would total ${kib(size)}; ${limit}`)
      }

      const description =
        removed.length === 0 ? `Set ${set.join(', ')} config vars`
        : set.length === 0 ? `Remove ${removed.join(', ')} config vars`
        : `Update ${changed.join(', ')} config vars`
      const current = this.currentRelease(app.id)
      const release = this.insertRelease({appId: app.id, config, description, slugId: current?.slugId ?? null})
      return {config, release}
    })
  }

  // ---- releases ----

  listReleases(appId: string): ReleaseRecord[] {
    return (this.db.prepare(`${RELEASE_SELECT} WHERE r.app_id = ? ORDER BY r.version`).all(appId) as ReleaseRow[]).map(releaseRecord)
  }

  /** A release by id or version (`5` or `v5`); null when unknown. */
  findRelease(appId: string, idOrVersion: number | string): null | ReleaseRecord {
    const key = String(idOrVersion)
    let row: ReleaseRow | undefined
    if (/^v?\d+$/i.test(key)) {
      row = this.db.prepare(`${RELEASE_SELECT} WHERE r.app_id = ? AND r.version = ?`).get(appId, Number(key.replace(/^v/i, ''))) as ReleaseRow | undefined
    } else {
      row = this.db.prepare(`${RELEASE_SELECT} WHERE r.app_id = ? AND r.id = ?`).get(appId, key) as ReleaseRow | undefined
    }

    return row ? releaseRecord(row) : null
  }

  getRelease(appId: string, idOrVersion: number | string): ReleaseRecord {
    const release = this.findRelease(appId, idOrVersion)
    if (!release) throw notFoundError("Couldn't find that release.")
    return release
  }

  /** The latest succeeded release (Heroku's `current`), or null. */
  currentRelease(appId: string): null | ReleaseRecord {
    const row = this.db
      .prepare(`${RELEASE_SELECT} WHERE r.app_id = ? AND r.status = 'succeeded' ORDER BY r.version DESC LIMIT 1`)
      .get(appId) as ReleaseRow | undefined
    return row ? releaseRecord(row) : null
  }

  /** The highest-numbered release, whatever its status. */
  latestRelease(appId: string): null | ReleaseRecord {
    const row = this.db.prepare(`${RELEASE_SELECT} WHERE r.app_id = ? ORDER BY r.version DESC LIMIT 1`).get(appId) as ReleaseRow | undefined
    return row ? releaseRecord(row) : null
  }

  /**
   * Creates a release (version assigned inside the transaction). With a slug and status 'succeeded' the formation
   * is synced to the slug's process types at once; a 'pending' release syncs when it becomes succeeded.
   */
  createRelease(options: CreateReleaseOptions): ReleaseRecord {
    return this.transaction(() => {
      const app = this.getApp(options.appId)
      if (options.slugId !== null) this.getSlug(app.id, options.slugId)
      return this.insertRelease({...options, appId: app.id, config: options.config ?? this.configVars(app.id)})
    })
  }

  /**
   * Moves a pending release to succeeded (formation sync, becomes current) or failed. `restoreConfig` with 'failed':
   * the config vars the failed release changed go back to the current release's values (Heroku: a config change whose
   * release command fails is not deployed) — only those still holding the failed release's value, so a later change
   * made meanwhile is kept.
   */
  setReleaseStatus(releaseId: string, status: 'expired' | 'failed' | 'succeeded', options: {restoreConfig?: boolean} = {}): ReleaseRecord {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT app_id, status, slug_id, initial_quantities FROM releases WHERE id = ?').get(releaseId) as
        | {app_id: string; initial_quantities: null | string; slug_id: null | string; status: ReleaseStatus}
        | undefined
      if (!row) throw notFoundError("Couldn't find that release.")
      if (row.status === status) return this.getRelease(row.app_id, releaseId)
      if (row.status !== 'pending' && status !== 'expired') {
        throw new StoreError('conflict', `Release is already ${row.status}; only a pending release can become ${status}.`)
      }

      const at = iso(this.now())
      this.db.prepare('UPDATE releases SET status = ?, updated_at = ? WHERE id = ?').run(status, at, releaseId)
      if (status === 'failed' && options.restoreConfig) this.restoreConfig(this.getRelease(row.app_id, releaseId))
      if (status === 'succeeded') this.onReleaseSucceeded(row.app_id, row.slug_id, row.initial_quantities ? JSON.parse(row.initial_quantities) : undefined)
      return this.getRelease(row.app_id, releaseId)
    })
  }

  /** A pending release's slug (a config change queued behind a deploy takes the deployed code). */
  setPendingReleaseSlug(releaseId: string, slugId: null | string): void {
    this.db.prepare("UPDATE releases SET slug_id = ? WHERE id = ? AND status = 'pending'").run(slugId, releaseId)
  }

  /** Where a release's output (its release command's) can be read. */
  setReleaseOutputStreamUrl(releaseId: string, url: string): void {
    this.db.prepare('UPDATE releases SET output_stream_url = ? WHERE id = ?').run(url, releaseId)
  }

  private restoreConfig(failed: ReleaseRecord): void {
    const base = this.currentRelease(failed.appId)?.config ?? {}
    const now = this.configVars(failed.appId)
    for (const key of new Set([...Object.keys(base), ...Object.keys(failed.config)])) {
      if (failed.config[key] === base[key] || now[key] !== failed.config[key]) continue
      if (base[key] === undefined) this.db.prepare('DELETE FROM config_vars WHERE app_id = ? AND key = ?').run(failed.appId, key)
      else this.db.prepare('INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?) ON CONFLICT (app_id, key) DO UPDATE SET value = excluded.value').run(failed.appId, key, base[key])
    }
  }

  /** Rollback: a NEW release "Rollback to vN" with vN's slug and config vars (config vars are restored). */
  rollback(appId: string, target: number | string): ReleaseRecord {
    return this.transaction(() => {
      const app = this.getApp(appId)
      const to = this.getRelease(app.id, target)
      if (to.status !== 'succeeded') throw invalidError(`Cannot roll back to v${to.version}: its status is ${to.status}.`)
      this.db.prepare('DELETE FROM config_vars WHERE app_id = ?').run(app.id)
      const insert = this.db.prepare('INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?)')
      for (const [key, value] of Object.entries(to.config)) insert.run(app.id, key, value)
      return this.insertRelease({appId: app.id, config: to.config, description: `Rollback to v${to.version}`, slugId: to.slugId})
    })
  }

  private insertRelease(options: CreateReleaseOptions & {config: ConfigVars}): ReleaseRecord {
    const {version} = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS version FROM releases WHERE app_id = ?').get(options.appId) as {version: number}
    const id = randomUUID()
    const at = iso(this.now())
    // A slug with a `release` process type: the release command must succeed before the release becomes current
    // (Heroku runs it for every new release: deploys, config changes, rollbacks, add-on changes). A release made while
    // an earlier one is pending waits for it too (the release service takes them in version order), so it can never
    // become current before it and be overtaken by an older version.
    const releaseCommand = options.slugId !== null && this.getSlug(options.appId, options.slugId).processTypes.release !== undefined
    const waiting = this.db.prepare("SELECT 1 FROM releases WHERE app_id = ? AND status = 'pending' LIMIT 1").get(options.appId) !== undefined
    const status = options.status ?? (releaseCommand || waiting ? 'pending' : 'succeeded')
    const outputStreamUrl = typeof options.outputStreamUrl === 'function' ? options.outputStreamUrl({id, version}) : (options.outputStreamUrl ?? null)
    this.db
      .prepare(`INSERT INTO releases (id, app_id, version, description, status, slug_id, config, user_id, output_stream_url, initial_quantities, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        id,
        options.appId,
        version,
        options.description,
        status,
        options.slugId,
        JSON.stringify(options.config),
        this.account().id,
        outputStreamUrl,
        options.initialQuantities ? JSON.stringify(options.initialQuantities) : null,
        at,
        at,
      )
    if (status === 'succeeded') this.onReleaseSucceeded(options.appId, options.slugId, options.initialQuantities)
    return this.getRelease(options.appId, id)
  }

  private onReleaseSucceeded(appId: string, slugId: null | string, initialQuantities?: Record<string, number>): void {
    this.db.prepare('UPDATE apps SET released_at = ?, updated_at = ? WHERE id = ?').run(iso(this.now()), iso(this.now()), appId)
    if (slugId !== null) this.syncFormation(appId, slugId, initialQuantities)
  }

  /** §5.2: new types added (web=1 first time, others 0, unless initialQuantities), kept types get the new command, vanished types removed. */
  private syncFormation(appId: string, slugId: string, initialQuantities?: Record<string, number>): void {
    const slug = this.getSlug(appId, slugId)
    const types = Object.entries(slug.processTypes).filter(([type]) => type !== 'release')
    const existing = new Map(this.formation(appId).map(f => [f.type, f]))
    const at = iso(this.now())
    for (const [type, command] of types) {
      const row = existing.get(type)
      if (row) {
        if (row.command !== command) this.db.prepare('UPDATE formation SET command = ?, updated_at = ? WHERE id = ?').run(command, at, row.id)
        existing.delete(type)
      } else {
        const initial = initialQuantities && Object.hasOwn(initialQuantities, type) ? Number(initialQuantities[type]) : Number.NaN
        const quantity = Number.isFinite(initial) ? Math.max(0, Math.min(MAX_QUANTITY_PER_TYPE, Math.floor(initial))) : type === 'web' ? 1 : 0
        this.db
          .prepare('INSERT INTO formation (id, app_id, type, quantity, command, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(randomUUID(), appId, type, quantity, command, DEFAULT_SIZE, at, at)
      }
    }

    for (const gone of existing.values()) this.db.prepare('DELETE FROM formation WHERE id = ?').run(gone.id)
  }

  // ---- slugs ----

  createSlug(input: {
    appId: string
    blobPath?: string
    buildpackProvidedDescription?: null | string
    checksum?: null | string
    commit?: null | string
    commitDescription?: null | string
    id?: string
    processTypes: ProcessTypes
    size?: null | number
    stack?: string
  }): SlugRecord {
    return this.transaction(() => {
      const app = this.getApp(input.appId)
      const id = input.id ?? randomUUID()
      const at = iso(this.now())
      this.db
        .prepare(`INSERT INTO slugs (id, app_id, process_types, buildpack_provided_description, checksum, size, commit_sha, commit_description, stack, blob_path, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          id,
          app.id,
          JSON.stringify(input.processTypes),
          input.buildpackProvidedDescription ?? null,
          input.checksum ?? null,
          input.size ?? null,
          input.commit ?? null,
          input.commitDescription ?? null,
          input.stack ?? app.stack,
          input.blobPath ?? join(this.dataDir, 'slugs', `${id}.tgz`),
          at,
          at,
        )
      return this.getSlug(app.id, id)
    })
  }

  listSlugs(appId: string): SlugRecord[] {
    return (this.db.prepare('SELECT * FROM slugs WHERE app_id = ? ORDER BY created_at, rowid').all(appId) as any[]).map(slugRecord)
  }

  findSlug(appId: string, slugId: string): null | SlugRecord {
    if (!UUID_RE.test(slugId)) return null
    const row = this.db.prepare('SELECT * FROM slugs WHERE app_id = ? AND id = ?').get(appId, slugId) as any
    return row ? slugRecord(row) : null
  }

  getSlug(appId: string, slugId: string): SlugRecord {
    const slug = this.findSlug(appId, slugId)
    if (!slug) throw notFoundError("Couldn't find that slug.")
    return slug
  }

  // ---- formation ----

  formation(appId: string): FormationRecord[] {
    return (
      this.db.prepare('SELECT f.*, a.name AS app_name FROM formation f JOIN apps a ON a.id = f.app_id WHERE f.app_id = ? ORDER BY f.type').all(appId) as any[]
    ).map(formationRecord)
  }

  getFormation(appId: string, idOrType: string): FormationRecord {
    const found = this.formation(appId).find(f => f.type === idOrType || f.id === idOrType)
    if (!found) throw notFoundError(`Couldn't find that process type (${idOrType}).`)
    return found
  }

  /**
   * Applies a batch of formation updates atomically (§3.11): validates everything first; an unknown type (404),
   * a bad quantity or size (422) fails the whole batch with nothing applied. Returns the updated entries in order.
   */
  updateFormation(appId: string, updates: FormationChange[]): FormationRecord[] {
    return this.transaction(() => {
      const app = this.getApp(appId)
      const current = new Map(this.formation(app.id).map(f => [f.type, {...f}]))
      const touched: string[] = []
      for (const update of updates) {
        const row = current.get(update.type) ?? [...current.values()].find(f => f.id === update.type)
        if (!row) throw notFoundError(`Couldn't find that process type (${update.type}).`)
        if (update.quantity !== undefined) row.quantity = resolveQuantity(row.type, row.quantity, update.quantity)
        if (update.size !== undefined) row.size = normalizeSize(update.size)
        if (!touched.includes(row.type)) touched.push(row.type)
      }

      const at = iso(this.now())
      const stmt = this.db.prepare('UPDATE formation SET quantity = ?, size = ?, updated_at = ? WHERE id = ?')
      for (const type of touched) {
        const row = current.get(type)!
        stmt.run(row.quantity, row.size, at, row.id)
      }

      return touched.map(type => this.getFormation(app.id, type))
    })
  }

  // ---- desired state for the supervisor ----

  /** What should run for an app: current release's slug + config, and the formation; null when the app is gone. */
  desired(appId: string): DesiredApp | null {
    const app = this.findApp(appId)
    if (!app) return null
    const current = this.currentRelease(app.id)
    const slug = current?.slugId ? this.findSlug(app.id, current.slugId) : null
    return {
      appId: app.id,
      appName: app.name,
      formation: this.formation(app.id).map(f => ({command: f.command, quantity: f.quantity, size: f.size, type: f.type})),
      release: current && slug ? {env: current.config, id: current.id, slugPath: slug.blobPath, version: current.version} : null,
    }
  }

  // ---- builds ----

  createBuild(input: {
    appId: string
    buildpacks?: Array<{name: string; url: string}> | null
    id?: string
    outputPath?: string
    sourceBlob: Partial<SourceBlob> & {url: string}
    stack?: string
  }): BuildRecord {
    return this.transaction(() => {
      const app = this.getApp(input.appId)
      const id = input.id ?? randomUUID()
      const at = iso(this.now())
      const sourceBlob: SourceBlob = {
        checksum: input.sourceBlob.checksum ?? null,
        url: input.sourceBlob.url,
        version: input.sourceBlob.version ?? null,
        version_description: input.sourceBlob.version_description ?? null,
      }
      this.db
        .prepare(`INSERT INTO builds (id, app_id, status, source_blob, buildpacks, stack, output_path, user_id, created_at, updated_at)
           VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          id,
          app.id,
          JSON.stringify(sourceBlob),
          input.buildpacks ? JSON.stringify(input.buildpacks) : null,
          input.stack ?? app.buildStack,
          input.outputPath ?? join(this.dataDir, 'builds', `${id}.log`),
          this.account().id,
          at,
          at,
        )
      return this.getBuild(app.id, id)
    })
  }

  updateBuild(buildId: string, changes: {releaseId?: null | string; slugId?: null | string; status?: BuildStatus}): BuildRecord {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT app_id FROM builds WHERE id = ?').get(buildId) as {app_id: string} | undefined
      if (!row) throw notFoundError("Couldn't find that build.")
      const at = iso(this.now())
      if (changes.status !== undefined) this.db.prepare('UPDATE builds SET status = ?, updated_at = ? WHERE id = ?').run(changes.status, at, buildId)
      if (changes.slugId !== undefined) this.db.prepare('UPDATE builds SET slug_id = ?, updated_at = ? WHERE id = ?').run(changes.slugId, at, buildId)
      if (changes.releaseId !== undefined) this.db.prepare('UPDATE builds SET release_id = ?, updated_at = ? WHERE id = ?').run(changes.releaseId, at, buildId)
      return this.getBuild(row.app_id, buildId)
    })
  }

  listBuilds(appId: string): BuildRecord[] {
    const rows = this.db
      .prepare('SELECT b.*, u.email AS user_email FROM builds b LEFT JOIN account u ON u.id = b.user_id WHERE b.app_id = ? ORDER BY b.created_at, b.rowid')
      .all(appId) as any[]
    return rows.map(buildRecord)
  }

  findBuild(appId: string, buildId: string): BuildRecord | null {
    const row = this.db.prepare('SELECT b.*, u.email AS user_email FROM builds b LEFT JOIN account u ON u.id = b.user_id WHERE b.app_id = ? AND b.id = ?').get(appId, buildId) as any
    return row ? buildRecord(row) : null
  }

  /** A build by id alone (primary key: O(1) whatever the number of apps), or null. */
  findBuildById(buildId: string): BuildRecord | null {
    const row = this.db.prepare('SELECT b.*, u.email AS user_email FROM builds b LEFT JOIN account u ON u.id = b.user_id WHERE b.id = ?').get(buildId) as any
    return row ? buildRecord(row) : null
  }

  getBuild(appId: string, buildId: string): BuildRecord {
    const build = this.findBuild(appId, buildId)
    if (!build) throw notFoundError("Couldn't find that build.")
    return build
  }

  // ---- buildpack installations ----

  buildpackInstallations(appId: string): BuildpackInstallationRecord[] {
    return this.db.prepare('SELECT ordinal, url, name FROM buildpack_installations WHERE app_id = ? ORDER BY ordinal').all(appId) as BuildpackInstallationRecord[]
  }

  /** Replaces the app's buildpack list (ordinals 0..n-1). */
  setBuildpackInstallations(appId: string, buildpacks: Array<{name: string; url: string}>): BuildpackInstallationRecord[] {
    return this.transaction(() => {
      const app = this.getApp(appId)
      this.db.prepare('DELETE FROM buildpack_installations WHERE app_id = ?').run(app.id)
      const insert = this.db.prepare('INSERT INTO buildpack_installations (app_id, ordinal, url, name) VALUES (?, ?, ?, ?)')
      for (const [ordinal, bp] of buildpacks.entries()) insert.run(app.id, ordinal, bp.url, bp.name)
      return this.buildpackInstallations(app.id)
    })
  }

  // ---- app features (e.g. preboot) ----

  feature(appId: string, name: string): boolean {
    const row = this.db.prepare('SELECT enabled FROM features WHERE app_id = ? AND name = ?').get(appId, name) as {enabled: number} | undefined
    return row?.enabled === 1
  }

  features(appId: string): Array<{enabled: boolean; name: string; updatedAt: string}> {
    const rows = this.db.prepare('SELECT name, enabled, updated_at FROM features WHERE app_id = ? ORDER BY name').all(appId) as any[]
    return rows.map(r => ({enabled: r.enabled === 1, name: r.name, updatedAt: r.updated_at}))
  }

  setFeature(appId: string, name: string, enabled: boolean): void {
    this.transaction(() => {
      const app = this.getApp(appId)
      this.db
        .prepare('INSERT INTO features (app_id, name, enabled, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at')
        .run(app.id, name, enabled ? 1 : 0, iso(this.now()))
    })
  }
}

export function validateAppName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !APP_NAME_RE.test(name)) throw invalidError(APP_NAME_MESSAGE)
}

function appRecord(row: AppRow): AppRecord {
  return {
    buildpackProvidedDescription: row.buildpack_provided_description,
    buildStack: row.build_stack,
    createdAt: row.created_at,
    id: row.id,
    maintenance: row.maintenance === 1,
    name: row.name,
    releasedAt: row.released_at,
    repoSize: row.repo_size,
    slugSize: row.slug_size ?? null,
    stack: row.stack,
    updatedAt: row.updated_at,
  }
}

function releaseRecord(row: ReleaseRow): ReleaseRecord {
  return {
    appId: row.app_id,
    appName: row.app_name,
    config: JSON.parse(row.config),
    createdAt: row.created_at,
    current: row.status === 'succeeded' && row.current_version === row.version,
    description: row.description,
    id: row.id,
    outputStreamUrl: row.output_stream_url,
    slugId: row.slug_id,
    status: row.status,
    updatedAt: row.updated_at,
    userEmail: row.user_email,
    userId: row.user_id,
    version: row.version,
  }
}

function slugRecord(row: any): SlugRecord {
  return {
    appId: row.app_id,
    blobPath: row.blob_path,
    buildpackProvidedDescription: row.buildpack_provided_description,
    checksum: row.checksum,
    commit: row.commit_sha,
    commitDescription: row.commit_description,
    createdAt: row.created_at,
    id: row.id,
    processTypes: JSON.parse(row.process_types),
    size: row.size,
    stack: row.stack,
    updatedAt: row.updated_at,
  }
}

function formationRecord(row: any): FormationRecord {
  return {
    appId: row.app_id,
    appName: row.app_name,
    command: row.command,
    createdAt: row.created_at,
    id: row.id,
    quantity: row.quantity,
    size: row.size,
    type: row.type,
    updatedAt: row.updated_at,
  }
}

function buildRecord(row: any): BuildRecord {
  return {
    appId: row.app_id,
    buildpacks: row.buildpacks ? JSON.parse(row.buildpacks) : null,
    createdAt: row.created_at,
    id: row.id,
    outputPath: row.output_path,
    releaseId: row.release_id,
    slugId: row.slug_id,
    sourceBlob: JSON.parse(row.source_blob),
    stack: row.stack,
    status: row.status,
    updatedAt: row.updated_at,
    userEmail: row.user_email,
    userId: row.user_id,
  }
}
