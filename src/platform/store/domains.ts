// Custom domains (`ferry domains:add`, POST /apps/:app/domains): hostnames the router also routes to an app, beside
// its default `<app>.localhost`. A hostname belongs to one app at most (UNIQUE in the table).
import {randomUUID} from 'node:crypto'

import type {Connection} from './connection.js'

import {invalidError, notFoundError} from './errors.js'

export interface DomainRecord {
  appId: string
  createdAt: string
  hostname: string
  id: string
  updatedAt: string
}

interface DomainRow {
  app_id: string
  created_at: string
  hostname: string
  id: string
  updated_at: string
}

const LABEL = /^[\da-z](?:[\da-z-]{0,61}[\da-z])?$/

/**
 * The hostname in canonical form (lower case, no trailing dot), or a store error saying what is wrong with it: a
 * domain name of at least two labels (letters, digits, inner dashes; 63 bytes each, 253 in all), and not under
 * `.localhost`, which names the apps themselves.
 */
export function normalizeHostname(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') throw invalidError('Missing hostname: give a domain name such as www.example.com.')
  const hostname = input.trim().toLowerCase().replace(/\.$/, '')
  const labels = hostname.split('.')
  if (hostname.length > 253 || labels.length < 2 || !labels.every(l => LABEL.test(l))) {
    throw invalidError(`Invalid hostname "${input}": use a domain name such as www.example.com (dot-separated labels of letters, digits and inner dashes, at most 63 characters each).`)
  }

  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    throw invalidError(`Invalid hostname "${input}": names under .localhost are the apps' own (<app>.localhost); use another domain.`)
  }

  return hostname
}

function record(row: DomainRow): DomainRecord {
  return {appId: row.app_id, createdAt: row.created_at, hostname: row.hostname, id: row.id, updatedAt: row.updated_at}
}

export class DomainsRepository {
  constructor(private readonly conn: Connection) {}

  /** The app's custom domains, oldest first. */
  list(appId: string): DomainRecord[] {
    return (this.conn.sql('SELECT * FROM domains WHERE app_id = ? ORDER BY created_at, hostname').all(appId) as DomainRow[]).map(record)
  }

  /** One of the app's custom domains by id or hostname; null when it has none such. */
  lookup(appId: string, idOrHostname: string): DomainRecord | null {
    const host = idOrHostname.toLowerCase().replace(/\.$/, '')
    const row = this.conn.sql('SELECT * FROM domains WHERE app_id = ? AND (id = ? OR hostname = ?)').get(appId, idOrHostname, host) as DomainRow | undefined
    return row ? record(row) : null
  }

  /** Adds a custom domain to the app; 422 for an invalid hostname or one already in use (by this app or another). */
  add(appId: string, hostname: unknown, at = new Date().toISOString()): DomainRecord {
    const host = normalizeHostname(hostname)
    return this.conn.transaction(() => {
      const taken = this.conn.sql('SELECT d.app_id, a.name FROM domains d JOIN apps a ON a.id = d.app_id WHERE d.hostname = ?').get(host) as
        | undefined
        | {app_id: string; name: string}
      if (taken) {
        throw invalidError(taken.app_id === appId ? `${host} is already added to this app.` : `${host} is currently in use by another app; remove it there first.`)
      }

      const id = randomUUID()
      this.conn.sql('INSERT INTO domains (id, app_id, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(id, appId, host, at, at)
      return record(this.conn.sql('SELECT * FROM domains WHERE id = ?').get(id) as DomainRow)
    })
  }

  /** Removes one of the app's custom domains (by id or hostname) and returns it; 404 when it has none such. */
  remove(appId: string, idOrHostname: string): DomainRecord {
    return this.conn.transaction(() => {
      const found = this.lookup(appId, idOrHostname)
      if (!found) throw notFoundError("Couldn't find that domain.")
      this.conn.sql('DELETE FROM domains WHERE id = ?').run(found.id)
      return found
    })
  }
}
