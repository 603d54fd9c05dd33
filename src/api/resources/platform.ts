import type {Http} from '../client.js'
import type {PlatformStatus} from '../types.js'

/** ferry's own endpoints (not part of Heroku's API). */
export const platform = (http: Http) => ({
  status: () => http.get<PlatformStatus>('/ferry/status'),
})
