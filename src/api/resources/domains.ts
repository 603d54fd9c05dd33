import type {Http} from '../client.js'
import type {Domain} from '../types.js'

import {p} from '../client.js'

export const domains = (http: Http) => ({
  create: (app: string, hostname: string) => http.post<Domain>(p`/apps/${app}/domains`, {hostname, sni_endpoint: null}),
  delete: (app: string, hostname: string) => http.delete<Domain>(p`/apps/${app}/domains/${hostname}`),
  list: (app: string) => http.list<Domain>(p`/apps/${app}/domains`),
})
