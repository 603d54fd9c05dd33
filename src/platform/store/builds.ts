// Builds: one record per build of an app's source (its status, source blob, output log path, resulting slug and release).
import {randomUUID} from 'node:crypto'
import {join} from 'node:path'

import type {AccountRepository} from './account.js'
import type {AppsRepository} from './apps.js'
import type {Connection} from './connection.js'

import {notFoundError} from './errors.js'

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

export interface CreateBuildInput {
  appId: string
  buildpacks?: Array<{name: string; url: string}> | null
  id?: string
  outputPath?: string
  sourceBlob: Partial<SourceBlob> & {url: string}
  stack?: string
}

const BUILD_SELECT = 'SELECT b.*, u.email AS user_email FROM builds b LEFT JOIN account u ON u.id = b.user_id'

export class BuildsRepository {
  constructor(
    private readonly conn: Connection,
    private readonly account: AccountRepository,
    private readonly apps: AppsRepository,
    /** Build logs go to `<dataDir>/builds/` unless a path is given. */
    private readonly dataDir: string,
  ) {}

  create(input: CreateBuildInput): BuildRecord {
    return this.conn.transaction(() => {
      const app = this.apps.get(input.appId)
      const id = input.id ?? randomUUID()
      const at = this.conn.timestamp()
      const sourceBlob: SourceBlob = {
        checksum: input.sourceBlob.checksum ?? null,
        url: input.sourceBlob.url,
        version: input.sourceBlob.version ?? null,
        version_description: input.sourceBlob.version_description ?? null,
      }
      this.conn
        .sql(`INSERT INTO builds (id, app_id, status, source_blob, buildpacks, stack, output_path, user_id, created_at, updated_at)
           VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`)
        .run(
          id,
          app.id,
          JSON.stringify(sourceBlob),
          input.buildpacks ? JSON.stringify(input.buildpacks) : null,
          input.stack ?? app.buildStack,
          input.outputPath ?? join(this.dataDir, 'builds', `${id}.log`),
          this.account.get().id,
          at,
          at,
        )
      return this.get(app.id, id)
    })
  }

  update(buildId: string, changes: {releaseId?: null | string; slugId?: null | string; status?: BuildStatus}): BuildRecord {
    return this.conn.transaction(() => {
      const row = this.conn.sql('SELECT app_id FROM builds WHERE id = ?').get(buildId) as {app_id: string} | undefined
      if (!row) throw notFoundError("Couldn't find that build.")
      const at = this.conn.timestamp()
      if (changes.status !== undefined) this.conn.sql('UPDATE builds SET status = ?, updated_at = ? WHERE id = ?').run(changes.status, at, buildId)
      if (changes.slugId !== undefined) this.conn.sql('UPDATE builds SET slug_id = ?, updated_at = ? WHERE id = ?').run(changes.slugId, at, buildId)
      if (changes.releaseId !== undefined) this.conn.sql('UPDATE builds SET release_id = ?, updated_at = ? WHERE id = ?').run(changes.releaseId, at, buildId)
      return this.get(row.app_id, buildId)
    })
  }

  list(appId: string): BuildRecord[] {
    return (this.conn.sql(`${BUILD_SELECT} WHERE b.app_id = ? ORDER BY b.created_at, b.rowid`).all(appId) as any[]).map(buildRecord)
  }

  lookup(appId: string, buildId: string): BuildRecord | null {
    const row = this.conn.sql(`${BUILD_SELECT} WHERE b.app_id = ? AND b.id = ?`).get(appId, buildId) as any
    return row ? buildRecord(row) : null
  }

  /** A build by id alone (primary key: O(1) whatever the number of apps), or null. */
  lookupById(buildId: string): BuildRecord | null {
    const row = this.conn.sql(`${BUILD_SELECT} WHERE b.id = ?`).get(buildId) as any
    return row ? buildRecord(row) : null
  }

  get(appId: string, buildId: string): BuildRecord {
    const build = this.lookup(appId, buildId)
    if (!build) throw notFoundError("Couldn't find that build.")
    return build
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
