// Where a request goes: the route key of its Host, and the choice among the app's web dynos (round-robin over the
// routable ones). native/apps.c derives the same route key; native.ts sends it the same routable targets.
import type {WebTarget} from '../../context.js'

import {APP_NAME, HOST_NAME_LIMIT} from '../rules.js'

/** A custom domain's host name: letters, digits, dots and dashes, with at least one dot (see routeKey()). */
const DOMAIN_HOST = /^[\da-z-]+(\.[\da-z-]+)+$/

/**
 * What a request's host name (lower case, no port) routes by: the app name of `NAME.localhost`, else the host name
 * itself when it may be a custom domain (`ferry domains:add`), else '' (no app). native/apps.c route_key() derives the same.
 */
export function routeKey(hostname: string): string {
  if (hostname.endsWith('.localhost')) {
    const name = hostname.slice(0, -'.localhost'.length)
    if (APP_NAME.test(name)) return name
  }

  return hostname.length < HOST_NAME_LIMIT && DOMAIN_HOST.test(hostname) ? hostname : ''
}

/**
 * The targets a request may go to: all of them, except while two releases' dynos are up together (preboot),
 * when only the newest release's (and any without a version). Shared by HttpRouter.pickTarget and the native
 * router's target lines (native.ts).
 */
export function routableTargets<T extends {release?: number}>(targets: T[]): T[] {
  let newest = -1
  let mixed = false
  for (const t of targets) {
    if (t.release === undefined) continue
    if (newest !== -1 && t.release !== newest) mixed = true
    if (t.release > newest) newest = t.release
  }

  return mixed ? targets.filter(t => t.release === undefined || t.release === newest) : targets
}

/** Round-robin over each app's routable targets (`avoid`: not this one when there is another; `exclude`: ports). */
export class RoundRobin {
  private readonly next = new Map<string, number>()

  pick(appId: string, all: Array<WebTarget & {release?: number}>, avoid?: WebTarget, exclude?: Set<number>): undefined | WebTarget {
    let targets = all
    if (exclude && exclude.size > 0) targets = targets.filter(t => !exclude.has(t.port))
    if (targets.length === 0) return undefined
    targets = routableTargets(targets)
    if (avoid && targets.length > 1) targets = targets.filter(t => t.port !== avoid.port)
    const n = (this.next.get(appId) ?? 0) + 1
    this.next.set(appId, n)
    return targets[n % targets.length]
  }
}
