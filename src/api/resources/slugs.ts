import type {Http} from '../client.js'
import type {Slug, SlugCreateBody} from '../types.js'

import {p} from '../client.js'

export const slugs = (http: Http) => ({
  create: (app: string, body: SlugCreateBody) => http.post<Slug>(p`/apps/${app}/slugs`, body),
  info: (app: string, id: string) => http.get<Slug>(p`/apps/${app}/slugs/${id}`),
})
