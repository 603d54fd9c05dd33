// The formation: how many dynos of which size run each process type of an app. Batch updates are atomic; a release
// that becomes current syncs the process types to its slug's.
import {randomUUID} from 'node:crypto'

import type {AppsRepository} from './apps.js'
import type {Connection} from './connection.js'
import type {SlugsRepository} from './slugs.js'
import type {FormationChange} from './types.js'

import {notFoundError} from './errors.js'
import {DEFAULT_SIZE, MAX_QUANTITY_PER_TYPE, normalizeSize, resolveQuantity} from './formation-rules.js'

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

export class FormationRepository {
  constructor(
    private readonly conn: Connection,
    private readonly apps: AppsRepository,
    private readonly slugs: SlugsRepository,
  ) {}

  list(appId: string): FormationRecord[] {
    return (
      this.conn.sql('SELECT f.*, a.name AS app_name FROM formation f JOIN apps a ON a.id = f.app_id WHERE f.app_id = ? ORDER BY f.type').all(appId) as any[]
    ).map(formationRecord)
  }

  get(appId: string, idOrType: string): FormationRecord {
    const found = this.list(appId).find(f => f.type === idOrType || f.id === idOrType)
    if (!found) throw notFoundError(`Couldn't find that process type (${idOrType}).`)
    return found
  }

  /**
   * Applies a batch of formation updates atomically (§3.11): validates everything first; an unknown type (404),
   * a bad quantity or size (422) fails the whole batch with nothing applied. Returns the updated entries in order.
   */
  update(appId: string, updates: FormationChange[]): FormationRecord[] {
    return this.conn.transaction(() => {
      const app = this.apps.get(appId)
      const current = new Map(this.list(app.id).map(f => [f.type, {...f}]))
      const touched: string[] = []
      for (const update of updates) {
        const row = current.get(update.type) ?? [...current.values()].find(f => f.id === update.type)
        if (!row) throw notFoundError(`Couldn't find that process type (${update.type}).`)
        if (update.quantity !== undefined) row.quantity = resolveQuantity(row.type, row.quantity, update.quantity)
        if (update.size !== undefined) row.size = normalizeSize(update.size)
        if (!touched.includes(row.type)) touched.push(row.type)
      }

      const at = this.conn.timestamp()
      const stmt = this.conn.sql('UPDATE formation SET quantity = ?, size = ?, updated_at = ? WHERE id = ?')
      for (const type of touched) {
        const row = current.get(type)!
        stmt.run(row.quantity, row.size, at, row.id)
      }

      return touched.map(type => this.get(app.id, type))
    })
  }

  /**
   * §5.2, when a release with this slug becomes current: new types added (web=1 first time, others 0, unless
   * initialQuantities), kept types get the new command, vanished types removed. Runs inside the caller's transaction.
   */
  sync(appId: string, slugId: string, initialQuantities?: Record<string, number>): void {
    const slug = this.slugs.get(appId, slugId)
    const types = Object.entries(slug.processTypes).filter(([type]) => type !== 'release')
    const existing = new Map(this.list(appId).map(f => [f.type, f]))
    const at = this.conn.timestamp()
    for (const [type, command] of types) {
      const row = existing.get(type)
      if (row) {
        if (row.command !== command) this.conn.sql('UPDATE formation SET command = ?, updated_at = ? WHERE id = ?').run(command, at, row.id)
        existing.delete(type)
      } else {
        const initial = initialQuantities && Object.hasOwn(initialQuantities, type) ? Number(initialQuantities[type]) : Number.NaN
        const quantity = Number.isFinite(initial) ? Math.max(0, Math.min(MAX_QUANTITY_PER_TYPE, Math.floor(initial))) : type === 'web' ? 1 : 0
        this.conn
          .sql('INSERT INTO formation (id, app_id, type, quantity, command, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(randomUUID(), appId, type, quantity, command, DEFAULT_SIZE, at, at)
      }
    }

    for (const gone of existing.values()) this.conn.sql('DELETE FROM formation WHERE id = ?').run(gone.id)
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
