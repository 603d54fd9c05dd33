import type {Http} from '../client.js'
import type {Dyno} from '../types.js'

import {p} from '../client.js'

export const dynos = (http: Http) => ({
  info: (app: string, dyno: string) => http.get<Dyno>(p`/apps/${app}/dynos/${dyno}`, {variant: 'sdk'}),
  list: (app: string) => http.list<Dyno>(p`/apps/${app}/dynos`, {variant: 'sdk'}),
})
