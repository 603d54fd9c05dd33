// Apps: name rules, creation of the row, renames, maintenance, build-derived fields, deletion (cascades to all the
// app owns). The app's first releases are made by the Store (an app and its v1/v2 are one transaction).
import {randomUUID} from 'node:crypto'

import type {Connection} from './connection.js'

import {invalidError, notFoundError} from './errors.js'
import {APP_NAME_MESSAGE, APP_NAME_RE, generateAppName} from './names.js'

export const DEFAULT_STACK = 'heroku-24'

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

const APP_SELECT = `
  SELECT a.*, (SELECT s.size FROM slugs s WHERE s.id = (SELECT r.slug_id FROM releases r
               WHERE r.app_id = a.id AND r.status = 'succeeded' ORDER BY r.version DESC LIMIT 1)) AS slug_size
  FROM apps a`

export function validateAppName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !APP_NAME_RE.test(name)) throw invalidError(APP_NAME_MESSAGE)
}

export class AppsRepository {
  constructor(private readonly conn: Connection) {}

  list(): AppRecord[] {
    return (this.conn.sql(`${APP_SELECT} ORDER BY a.name`).all() as AppRow[]).map(appRecord)
  }

  /** Finds an app by name or id; null when unknown. */
  lookup(nameOrId: string): AppRecord | null {
    const row = this.conn.sql(`${APP_SELECT} WHERE a.name = ? OR a.id = ?`).get(nameOrId, nameOrId) as AppRow | undefined
    return row ? appRecord(row) : null
  }

  /** The app a custom domain (domains.ts) routes to; null when no app has it. */
  findByDomain(hostname: string): AppRecord | null {
    const row = this.conn.sql(`${APP_SELECT} WHERE a.id = (SELECT app_id FROM domains WHERE hostname = ?)`).get(hostname) as AppRow | undefined
    return row ? appRecord(row) : null
  }

  /** Like lookup but throws not_found "Couldn't find that app." */
  get(nameOrId: string): AppRecord {
    const app = this.lookup(nameOrId)
    if (!app) throw notFoundError("Couldn't find that app.")
    return app
  }

  /** Inserts the app row (a generated name unless one is given) and returns its id. Runs inside the caller's transaction. */
  insert(input: {name?: string; stack?: string}): string {
    let name = input.name
    if (name === undefined) {
      do name = generateAppName()
      while (this.lookup(name))
    } else {
      validateAppName(name)
      if (this.lookup(name)) throw invalidError('Name is already taken')
    }

    const stack = input.stack ?? DEFAULT_STACK
    const id = randomUUID()
    const at = this.conn.timestamp()
    this.conn
      .sql('INSERT INTO apps (id, name, stack, build_stack, created_at, updated_at, released_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, name, stack, stack, at, at, at)
    return id
  }

  update(nameOrId: string, changes: {buildStack?: string; maintenance?: boolean; name?: string}): AppRecord {
    return this.conn.transaction(() => {
      const app = this.get(nameOrId)
      const at = this.conn.timestamp()
      if (changes.name !== undefined && changes.name !== app.name) {
        validateAppName(changes.name)
        if (this.lookup(changes.name)) throw invalidError('Name is already taken')
        this.conn.sql('UPDATE apps SET name = ?, updated_at = ? WHERE id = ?').run(changes.name, at, app.id)
      }

      if (changes.maintenance !== undefined) {
        this.conn.sql('UPDATE apps SET maintenance = ?, updated_at = ? WHERE id = ?').run(changes.maintenance ? 1 : 0, at, app.id)
      }

      if (changes.buildStack !== undefined) {
        this.conn.sql('UPDATE apps SET build_stack = ?, updated_at = ? WHERE id = ?').run(changes.buildStack, at, app.id)
      }

      return this.get(app.id)
    })
  }

  /** Sets build-derived app fields (after a successful build). */
  setBuildInfo(appId: string, info: {buildpackProvidedDescription?: null | string; repoSize?: null | number}): void {
    this.conn.transaction(() => {
      const app = this.get(appId)
      if (info.buildpackProvidedDescription !== undefined) {
        this.conn.sql('UPDATE apps SET buildpack_provided_description = ? WHERE id = ?').run(info.buildpackProvidedDescription, app.id)
      }

      if (info.repoSize !== undefined) this.conn.sql('UPDATE apps SET repo_size = ? WHERE id = ?').run(info.repoSize, app.id)
    })
  }

  /** A release of the app became current. */
  markReleased(appId: string): void {
    this.conn.sql('UPDATE apps SET released_at = ?, updated_at = ? WHERE id = ?').run(this.conn.timestamp(), this.conn.timestamp(), appId)
  }

  /** Deletes an app and everything it owns (cascade); returns the deleted app. */
  delete(nameOrId: string): AppRecord {
    return this.conn.transaction(() => {
      const app = this.get(nameOrId)
      this.conn.sql('DELETE FROM apps WHERE id = ?').run(app.id)
      return app
    })
  }
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
