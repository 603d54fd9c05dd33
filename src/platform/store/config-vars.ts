// Config vars: an app's environment, the names and size rules, patches (null removes a key) and their wording.
// A change that does something becomes a release; the Store makes that release in the same transaction.
import type {Connection} from './connection.js'
import type {ConfigVars, ConfigVarsPatch} from './types.js'

import {invalidError} from './errors.js'

/**
 * All config vars of an app together (UTF-8 bytes of keys and values), as Heroku caps them: they become the dyno's
 * environment, and an oversized one makes every exec fail with E2BIG (a crash loop); each release also keeps a copy.
 */
export const CONFIG_MAX_BYTES = 32 * 1024

const CONFIG_KEY_RE = /^\w+$/

const UPSERT = 'INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?) ON CONFLICT (app_id, key) DO UPDATE SET value = excluded.value'
const DELETE_ONE = 'DELETE FROM config_vars WHERE app_id = ? AND key = ?'

function configBytes(config: ConfigVars): number {
  let total = 0
  for (const [key, value] of Object.entries(config)) total += Buffer.byteLength(key) + Buffer.byteLength(value)
  return total
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`
}

/** Throws a 422 for a patch no app could take (bad name, a value that is not a string, a NUL). */
export function validateConfigPatch(patch: ConfigVarsPatch): void {
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
}

export class ConfigVarsRepository {
  constructor(private readonly conn: Connection) {}

  get(appId: string): ConfigVars {
    const rows = this.conn.sql('SELECT key, value FROM config_vars WHERE app_id = ? ORDER BY key').all(appId) as Array<{key: string; value: string}>
    return Object.fromEntries(rows.map(r => [r.key, r.value]))
  }

  /**
   * Merges a validated patch into the app's vars, inside the caller's transaction. Returns the new vars and the
   * release description ("Set A, B config vars" / "Remove A config vars" / "Update A, B config vars"), or a null
   * description when nothing changed.
   */
  apply(app: {id: string; name: string}, patch: ConfigVarsPatch): {config: ConfigVars; description: null | string} {
    const before = this.get(app.id)
    const set: string[] = []
    const removed: string[] = []
    const changed: string[] = []
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) {
        if (Object.hasOwn(before, key)) {
          this.conn.sql(DELETE_ONE).run(app.id, key)
          removed.push(key)
          changed.push(key)
        }
      } else if (!Object.hasOwn(before, key) || before[key] !== value) {
        this.conn.sql(UPSERT).run(app.id, key, value)
        set.push(key)
        changed.push(key)
      }
    }

    const config = this.get(app.id)
    if (changed.length === 0) return {config, description: null}
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
    return {config, description}
  }

  /**
   * After a failed release: the vars it changed go back to `base` (the current release's), only those still holding
   * the failed release's value, so a later change made meanwhile is kept.
   */
  restore(appId: string, failed: ConfigVars, base: ConfigVars): void {
    const now = this.get(appId)
    for (const key of new Set([...Object.keys(base), ...Object.keys(failed)])) {
      if (failed[key] === base[key] || now[key] !== failed[key]) continue
      if (base[key] === undefined) this.conn.sql(DELETE_ONE).run(appId, key)
      else this.conn.sql(UPSERT).run(appId, key, base[key])
    }
  }

  /** Replaces all of the app's vars (a rollback). */
  replace(appId: string, config: ConfigVars): void {
    this.conn.sql('DELETE FROM config_vars WHERE app_id = ?').run(appId)
    const insert = this.conn.sql('INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?)')
    for (const [key, value] of Object.entries(config)) insert.run(appId, key, value)
  }
}
