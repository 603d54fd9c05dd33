// Per-app settings that are lists of names: the buildpacks a build uses (in order) and feature flags (e.g. preboot).
import type {AppsRepository} from './apps.js'
import type {Connection} from './connection.js'

export interface BuildpackInstallationRecord {name: string; ordinal: number; url: string}

export interface FeatureRecord {enabled: boolean; name: string; updatedAt: string}

export class BuildpacksRepository {
  constructor(
    private readonly conn: Connection,
    private readonly apps: AppsRepository,
  ) {}

  list(appId: string): BuildpackInstallationRecord[] {
    return this.conn.sql('SELECT ordinal, url, name FROM buildpack_installations WHERE app_id = ? ORDER BY ordinal').all(appId) as BuildpackInstallationRecord[]
  }

  /** Replaces the app's buildpack list (ordinals 0..n-1). */
  set(appId: string, buildpacks: Array<{name: string; url: string}>): BuildpackInstallationRecord[] {
    return this.conn.transaction(() => {
      const app = this.apps.get(appId)
      this.conn.sql('DELETE FROM buildpack_installations WHERE app_id = ?').run(app.id)
      const insert = this.conn.sql('INSERT INTO buildpack_installations (app_id, ordinal, url, name) VALUES (?, ?, ?, ?)')
      for (const [ordinal, bp] of buildpacks.entries()) insert.run(app.id, ordinal, bp.url, bp.name)
      return this.list(app.id)
    })
  }
}

export class FeaturesRepository {
  constructor(
    private readonly conn: Connection,
    private readonly apps: AppsRepository,
  ) {}

  enabled(appId: string, name: string): boolean {
    const row = this.conn.sql('SELECT enabled FROM features WHERE app_id = ? AND name = ?').get(appId, name) as {enabled: number} | undefined
    return row?.enabled === 1
  }

  list(appId: string): FeatureRecord[] {
    const rows = this.conn.sql('SELECT name, enabled, updated_at FROM features WHERE app_id = ? ORDER BY name').all(appId) as any[]
    return rows.map(r => ({enabled: r.enabled === 1, name: r.name, updatedAt: r.updated_at}))
  }

  set(appId: string, name: string, enabled: boolean): void {
    this.conn.transaction(() => {
      const app = this.apps.get(appId)
      this.conn
        .sql('INSERT INTO features (app_id, name, enabled, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (app_id, name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at')
        .run(app.id, name, enabled ? 1 : 0, this.conn.timestamp())
    })
  }
}
