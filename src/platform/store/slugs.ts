// Slugs: the built code of an app (a tarball beside the database, its process types and checksum).
import {randomUUID} from 'node:crypto'
import {join} from 'node:path'

import type {AppsRepository} from './apps.js'
import type {Connection} from './connection.js'
import type {ProcessTypes} from './types.js'

import {notFoundError} from './errors.js'

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

export interface CreateSlugInput {
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
}

export const UUID_RE = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i

export class SlugsRepository {
  constructor(
    private readonly conn: Connection,
    private readonly apps: AppsRepository,
    /** Slug tarballs go to `<dataDir>/slugs/` unless a path is given. */
    private readonly dataDir: string,
  ) {}

  create(input: CreateSlugInput): SlugRecord {
    return this.conn.transaction(() => {
      const app = this.apps.get(input.appId)
      const id = input.id ?? randomUUID()
      const at = this.conn.timestamp()
      this.conn
        .sql(`INSERT INTO slugs (id, app_id, process_types, buildpack_provided_description, checksum, size, commit_sha, commit_description, stack, blob_path, created_at, updated_at)
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
      return this.get(app.id, id)
    })
  }

  list(appId: string): SlugRecord[] {
    return (this.conn.sql('SELECT * FROM slugs WHERE app_id = ? ORDER BY created_at, rowid').all(appId) as any[]).map(slugRecord)
  }

  lookup(appId: string, slugId: string): null | SlugRecord {
    if (!UUID_RE.test(slugId)) return null
    const row = this.conn.sql('SELECT * FROM slugs WHERE app_id = ? AND id = ?').get(appId, slugId) as any
    return row ? slugRecord(row) : null
  }

  get(appId: string, slugId: string): SlugRecord {
    const slug = this.lookup(appId, slugId)
    if (!slug) throw notFoundError("Couldn't find that slug.")
    return slug
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
