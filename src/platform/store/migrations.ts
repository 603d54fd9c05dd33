// Versioned schema migrations: append new entries, never edit applied ones.
import type Database from 'better-sqlite3'

import {isoTimestamp} from '../time.js'

export interface Migration {
  name: string
  sql: string
  version: number
}

export const MIGRATIONS: Migration[] = [
  {
    name: 'initial schema',
    sql: `
      CREATE TABLE account (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE apps (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        stack TEXT NOT NULL,
        build_stack TEXT NOT NULL,
        maintenance INTEGER NOT NULL DEFAULT 0,
        buildpack_provided_description TEXT,
        repo_size INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        released_at TEXT
      );
      CREATE TABLE config_vars (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (app_id, key)
      );
      CREATE TABLE slugs (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        process_types TEXT NOT NULL,
        buildpack_provided_description TEXT,
        checksum TEXT,
        size INTEGER,
        commit_sha TEXT,
        commit_description TEXT,
        stack TEXT NOT NULL,
        blob_path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE releases (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        description TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'expired')),
        slug_id TEXT REFERENCES slugs(id) ON DELETE SET NULL,
        config TEXT NOT NULL,
        user_id TEXT NOT NULL,
        output_stream_url TEXT,
        initial_quantities TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, version)
      );
      CREATE TABLE formation (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        command TEXT NOT NULL,
        size TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, type)
      );
      CREATE TABLE builds (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        source_blob TEXT NOT NULL,
        buildpacks TEXT,
        stack TEXT NOT NULL,
        output_path TEXT NOT NULL,
        slug_id TEXT,
        release_id TEXT,
        user_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE buildpack_installations (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        url TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (app_id, ordinal)
      );
      CREATE TABLE features (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (app_id, name)
      );
      CREATE INDEX releases_app ON releases(app_id, version);
      CREATE INDEX builds_app ON builds(app_id, created_at);
    `,
    version: 1,
  },
  {
    // "current release" lookups (latest succeeded per app) without scanning every release row and its config JSON.
    name: 'index for current release lookups',
    sql: 'CREATE INDEX releases_app_status ON releases(app_id, status, version)',
    version: 2,
  },
  {
    // Add-ons (src/platform/addons/): one row per database/instance, attached to one or more apps under a name
    // (DATABASE → DATABASE_URL). The URL holds the add-on's own password; attachments copy it into config vars.
    name: 'add-ons and attachments',
    sql: `
      CREATE TABLE addons (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name TEXT NOT NULL UNIQUE,
        service TEXT NOT NULL,
        plan TEXT NOT NULL,
        state TEXT NOT NULL,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        port INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE addon_attachments (
        id TEXT PRIMARY KEY,
        addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, name)
      );
      CREATE INDEX addons_app ON addons(app_id);
      CREATE INDEX addon_attachments_addon ON addon_attachments(addon_id);
    `,
    version: 3,
  },
  {
    // Custom domains (`domains:add`): the router routes each hostname to its app; one app per hostname.
    name: 'domains',
    sql: `
      CREATE TABLE domains (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        hostname TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX domains_app ON domains(app_id);
    `,
    version: 4,
  },
]

/** Applies pending migrations, each in its own transaction; returns the versions applied. */
export function migrate(db: Database.Database, migrations: Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{version: number}>).map(r => r.version))
  const done: number[] = []
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, isoTimestamp())
    }).immediate()
    done.push(m.version)
  }

  return done
}
