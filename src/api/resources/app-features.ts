import type {Http} from '../client.js'
import type {AppFeature} from '../types.js'

import {p} from '../client.js'

export const appFeatures = (http: Http) => ({
  info: (app: string, feature: string) => http.get<AppFeature>(p`/apps/${app}/features/${feature}`),
  list: (app: string) => http.list<AppFeature>(p`/apps/${app}/features`),
  update: (app: string, feature: string, enabled: boolean) => http.patch<AppFeature>(p`/apps/${app}/features/${feature}`, {enabled}),
})
