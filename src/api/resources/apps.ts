import type {Http} from '../client.js'
import type {App, AppCreateBody, AppUpdateBody} from '../types.js'

import {p} from '../client.js'

export const apps = (http: Http) => ({
  create: (body: AppCreateBody = {}) => http.post<App>('/apps', body),
  destroy: (app: string) => http.delete<App>(p`/apps/${app}`),
  info: (app: string) => http.get<App>(p`/apps/${app}`),
  list: () => http.list<App>('/apps'),
  update: (app: string, body: AppUpdateBody) => http.patch<App>(p`/apps/${app}`, body),
})
