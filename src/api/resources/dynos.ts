import type {Http} from '../client.js'
import type {Dyno} from '../types.js'

import {p} from '../client.js'

export const dynos = (http: Http) => ({
  info: (app: string, dyno: string) => http.get<Dyno>(p`/apps/${app}/dynos/${dyno}`, {variant: 'sdk'}),
  list: (app: string) => http.list<Dyno>(p`/apps/${app}/dynos`, {variant: 'sdk'}),
  /** Restarts every dyno of the app (`DELETE /apps/{app}/dynos`, 202). */
  restartAll: (app: string) => http.delete<Record<string, never>>(p`/apps/${app}/dynos`, {variant: 'sdk'}),
  /** Restarts one dyno by name or id. */
  restart: (app: string, dyno: string) => http.delete<Record<string, never>>(p`/apps/${app}/dynos/${dyno}`, {variant: 'sdk'}),
  /** Restarts all dynos of a process type (note the plural `formations`). */
  restartType: (app: string, type: string) => http.delete<Record<string, never>>(p`/apps/${app}/formations/${type}`, {variant: 'sdk'}),
  /** Stops one dyno (a formation dyno is replaced; a one-off ends). */
  stop: (app: string, dyno: string) => http.post<Record<string, never>>(p`/apps/${app}/dynos/${dyno}/actions/stop`, undefined, {variant: 'sdk'}),
  /** Stops all dynos of a process type. */
  stopType: (app: string, type: string) => http.post<Record<string, never>>(p`/apps/${app}/formations/${type}/actions/stop`, undefined, {variant: 'sdk'}),
})
