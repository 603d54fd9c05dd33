// Custom domains (`ferry domains:add`, POST /apps/:app/domains): hostnames the router also routes to an app, beside
// its default `<app>.localhost`. A hostname belongs to one app at most (UNIQUE in the table).
import {randomUUID} from 'node:crypto'

import type {Store} from './store.js'

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

/** The app's custom domains, oldest first. */
export function listDomains(store: Store, appId: string): DomainRecord[] {
  return (store.db.prepare('SELECT * FROM domains WHERE app_id = ? ORDER BY created_at, hostname').all(appId) as DomainRow[]).map(record)
}

/** One of the app's custom domains by id or hostname; null when it has none such. */
export function findDomain(store: Store, appId: string, idOrHostname: string): DomainRecord | null {
  const host = idOrHostname.toLowerCase().replace(/\.$/, '')
  const row = store.db.prepare('SELECT * FROM domains WHERE app_id = ? AND (id = ? OR hostname = ?)').get(appId, idOrHostname, host) as DomainRow | undefined
  return row ? record(row) : null
}

/** Adds a custom domain to the app; 422 for an invalid hostname or one already in use (by this app or another). */
export function addDomain(store: Store, appId: string, hostname: unknown, at = new Date().toISOString()): DomainRecord {
  const host = normalizeHostname(hostname)
  return store.transaction(() => {
    const taken = store.db.prepare('SELECT d.app_id, a.name FROM domains d JOIN apps a ON a.id = d.app_id WHERE d.hostname = ?').get(host) as
      | undefined
      | {app_id: string; name: string}
    if (taken) {
      throw invalidError(taken.app_id === appId ? `${host} is already added to this app.` : `${host} is currently in use by another app; remove it there first.`)
    }

    const id = randomUUID()
    store.db.prepare('INSERT INTO domains (id, app_id, hostname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(id, appId, host, at, at)
    return record(store.db.prepare('SELECT * FROM domains WHERE id = ?').get(id) as DomainRow)
  })
}

/** Removes one of the app's custom domains (by id or hostname) and returns it; 404 when it has none such. */
export function removeDomain(store: Store, appId: string, idOrHostname: string): DomainRecord {
  return store.transaction(() => {
    const found = findDomain(store, appId, idOrHostname)
    if (!found) throw notFoundError("Couldn't find that domain.")
    store.db.prepare('DELETE FROM domains WHERE id = ?').run(found.id)
    return found
  })
}
