import type {Http} from '../client.js'
import type {ConfigVars, Release, ReleaseCreateBody} from '../types.js'

import {p} from '../client.js'

export interface ReleaseListOptions {
  /** Read one page of at most `max` releases (otherwise every release, following Next-Range). */
  max?: number
  order?: 'asc' | 'desc'
}

export const releases = (http: Http) => ({
  configVars: (app: string, version: number | string) => http.get<ConfigVars>(p`/apps/${app}/releases/${version}/config-vars`),
  create: (app: string, body: ReleaseCreateBody) => http.post<Release>(p`/apps/${app}/releases`, body, {variant: 'sdk'}),
  info: (app: string, version: number | string) => http.get<Release>(p`/apps/${app}/releases/${version}`, {variant: 'sdk'}),
  list(app: string, {max, order = 'asc'}: ReleaseListOptions = {}): Promise<Release[]> {
    const path = p`/apps/${app}/releases`
    const params = [max ? `max=${max}` : '', `order=${order}`].filter(Boolean).join(', ')
    const range = `version ..; ${params}`
    return max ? http.get<Release[]>(path, {range, variant: 'sdk'}) : http.list<Release>(path, {range, variant: 'sdk'})
  },
})
