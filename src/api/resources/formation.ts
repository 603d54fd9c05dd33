import type {Http} from '../client.js'
import type {Formation, FormationUpdate} from '../types.js'

import {p} from '../client.js'

export const formation = (http: Http) => ({
  /** Heroku's ps:scale: all updates apply or none (unknown type → 404). */
  batchUpdate: (app: string, updates: FormationUpdate[]) => http.patch<Formation[]>(p`/apps/${app}/formation`, {updates}),
  info: (app: string, type: string) => http.get<Formation>(p`/apps/${app}/formation/${type}`),
  list: (app: string) => http.list<Formation>(p`/apps/${app}/formation`),
  update: (app: string, type: string, update: Omit<FormationUpdate, 'type'>) =>
    http.patch<Formation>(p`/apps/${app}/formation/${type}`, update),
})
