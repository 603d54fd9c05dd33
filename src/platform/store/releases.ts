// Releases: versions assigned inside the transaction (so concurrent changes never lose or duplicate a vN), the
// pending → succeeded/failed life of a release, rollbacks. A release that becomes current syncs the formation.
import {randomUUID} from 'node:crypto'

import type {AccountRepository} from './account.js'
import type {AppsRepository} from './apps.js'
import type {Connection} from './connection.js'
import type {ConfigVarsRepository} from './config-vars.js'
import type {FormationRepository} from './formation.js'
import type {SlugsRepository} from './slugs.js'
import type {ConfigVars, ReleaseStatus} from './types.js'

import {invalidError, notFoundError, StoreError} from './errors.js'

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

const RELEASE_SELECT = `
  SELECT r.*, a.name AS app_name, u.email AS user_email,
    (SELECT MAX(version) FROM releases c WHERE c.app_id = r.app_id AND c.status = 'succeeded') AS current_version
  FROM releases r JOIN apps a ON a.id = r.app_id LEFT JOIN account u ON u.id = r.user_id`

export interface ReleaseDependencies {
  account: AccountRepository
  apps: AppsRepository
  config: ConfigVarsRepository
  formation: FormationRepository
  slugs: SlugsRepository
}

export class ReleasesRepository {
  constructor(
    private readonly conn: Connection,
    private readonly on: ReleaseDependencies,
  ) {}

  list(appId: string): ReleaseRecord[] {
    return (this.conn.sql(`${RELEASE_SELECT} WHERE r.app_id = ? ORDER BY r.version`).all(appId) as ReleaseRow[]).map(releaseRecord)
  }

  /** A release by id or version (`5` or `v5`); null when unknown. */
  lookup(appId: string, idOrVersion: number | string): null | ReleaseRecord {
    const key = String(idOrVersion)
    let row: ReleaseRow | undefined
    if (/^v?\d+$/i.test(key)) {
      row = this.conn.sql(`${RELEASE_SELECT} WHERE r.app_id = ? AND r.version = ?`).get(appId, Number(key.replace(/^v/i, ''))) as ReleaseRow | undefined
    } else {
      row = this.conn.sql(`${RELEASE_SELECT} WHERE r.app_id = ? AND r.id = ?`).get(appId, key) as ReleaseRow | undefined
    }

    return row ? releaseRecord(row) : null
  }

  get(appId: string, idOrVersion: number | string): ReleaseRecord {
    const release = this.lookup(appId, idOrVersion)
    if (!release) throw notFoundError("Couldn't find that release.")
    return release
  }

  /** The latest succeeded release (Heroku's `current`), or null. */
  current(appId: string): null | ReleaseRecord {
    const row = this.conn
      .sql(`${RELEASE_SELECT} WHERE r.app_id = ? AND r.status = 'succeeded' ORDER BY r.version DESC LIMIT 1`)
      .get(appId) as ReleaseRow | undefined
    return row ? releaseRecord(row) : null
  }

  /** The highest-numbered release, whatever its status. */
  latest(appId: string): null | ReleaseRecord {
    const row = this.conn.sql(`${RELEASE_SELECT} WHERE r.app_id = ? ORDER BY r.version DESC LIMIT 1`).get(appId) as ReleaseRow | undefined
    return row ? releaseRecord(row) : null
  }

  /**
   * Creates a release (version assigned inside the transaction). With a slug and status 'succeeded' the formation
   * is synced to the slug's process types at once; a 'pending' release syncs when it becomes succeeded.
   */
  create(options: CreateReleaseOptions): ReleaseRecord {
    return this.conn.transaction(() => {
      const app = this.on.apps.get(options.appId)
      if (options.slugId !== null) this.on.slugs.get(app.id, options.slugId)
      return this.insert({...options, appId: app.id, config: options.config ?? this.on.config.get(app.id)})
    })
  }

  /**
   * Moves a pending release to succeeded (formation sync, becomes current) or failed. `restoreConfig` with 'failed':
   * the config vars the failed release changed go back to the current release's values (Heroku: a config change whose
   * release command fails is not deployed) — only those still holding the failed release's value, so a later change
   * made meanwhile is kept.
   */
  setStatus(releaseId: string, status: 'expired' | 'failed' | 'succeeded', options: {restoreConfig?: boolean} = {}): ReleaseRecord {
    return this.conn.transaction(() => {
      const row = this.conn.sql('SELECT app_id, status, slug_id, initial_quantities FROM releases WHERE id = ?').get(releaseId) as
        | {app_id: string; initial_quantities: null | string; slug_id: null | string; status: ReleaseStatus}
        | undefined
      if (!row) throw notFoundError("Couldn't find that release.")
      if (row.status === status) return this.get(row.app_id, releaseId)
      if (row.status !== 'pending' && status !== 'expired') {
        throw new StoreError('conflict', `Release is already ${row.status}; only a pending release can become ${status}.`)
      }

      const at = this.conn.timestamp()
      this.conn.sql('UPDATE releases SET status = ?, updated_at = ? WHERE id = ?').run(status, at, releaseId)
      if (status === 'failed' && options.restoreConfig) {
        const failed = this.get(row.app_id, releaseId)
        this.on.config.restore(failed.appId, failed.config, this.current(failed.appId)?.config ?? {})
      }

      if (status === 'succeeded') this.onSucceeded(row.app_id, row.slug_id, row.initial_quantities ? JSON.parse(row.initial_quantities) : undefined)
      return this.get(row.app_id, releaseId)
    })
  }

  /** A pending release's slug (a config change queued behind a deploy takes the deployed code). */
  setPendingSlug(releaseId: string, slugId: null | string): void {
    this.conn.sql("UPDATE releases SET slug_id = ? WHERE id = ? AND status = 'pending'").run(slugId, releaseId)
  }

  /** Where a release's output (its release command's) can be read. */
  setOutputStreamUrl(releaseId: string, url: string): void {
    this.conn.sql('UPDATE releases SET output_stream_url = ? WHERE id = ?').run(url, releaseId)
  }

  /** Rollback: a NEW release "Rollback to vN" with vN's slug and config vars (config vars are restored). */
  rollback(appId: string, target: number | string): ReleaseRecord {
    return this.conn.transaction(() => {
      const app = this.on.apps.get(appId)
      const to = this.get(app.id, target)
      if (to.status !== 'succeeded') throw invalidError(`Cannot roll back to v${to.version}: its status is ${to.status}.`)
      this.on.config.replace(app.id, to.config)
      return this.insert({appId: app.id, config: to.config, description: `Rollback to v${to.version}`, slugId: to.slugId})
    })
  }

  /** Inserts the app's next version, inside the caller's transaction. */
  insert(options: CreateReleaseOptions & {config: ConfigVars}): ReleaseRecord {
    const {version} = this.conn.sql('SELECT COALESCE(MAX(version), 0) + 1 AS version FROM releases WHERE app_id = ?').get(options.appId) as {version: number}
    const id = randomUUID()
    const at = this.conn.timestamp()
    // A slug with a `release` process type: the release command must succeed before the release becomes current
    // (Heroku runs it for every new release: deploys, config changes, rollbacks, add-on changes). A release made while
    // an earlier one is pending waits for it too (the release service takes them in version order), so it can never
    // become current before it and be overtaken by an older version.
    const releaseCommand = options.slugId !== null && this.on.slugs.get(options.appId, options.slugId).processTypes.release !== undefined
    const waiting = this.conn.sql("SELECT 1 FROM releases WHERE app_id = ? AND status = 'pending' LIMIT 1").get(options.appId) !== undefined
    const status = options.status ?? (releaseCommand || waiting ? 'pending' : 'succeeded')
    const outputStreamUrl = typeof options.outputStreamUrl === 'function' ? options.outputStreamUrl({id, version}) : (options.outputStreamUrl ?? null)
    this.conn
      .sql(`INSERT INTO releases (id, app_id, version, description, status, slug_id, config, user_id, output_stream_url, initial_quantities, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        id,
        options.appId,
        version,
        options.description,
        status,
        options.slugId,
        JSON.stringify(options.config),
        this.on.account.get().id,
        outputStreamUrl,
        options.initialQuantities ? JSON.stringify(options.initialQuantities) : null,
        at,
        at,
      )
    if (status === 'succeeded') this.onSucceeded(options.appId, options.slugId, options.initialQuantities)
    return this.get(options.appId, id)
  }

  private onSucceeded(appId: string, slugId: null | string, initialQuantities?: Record<string, number>): void {
    this.on.apps.markReleased(appId)
    if (slugId !== null) this.on.formation.sync(appId, slugId, initialQuantities)
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
