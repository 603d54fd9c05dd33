import type {Http} from '../client.js'
import type {Dyno, DynoCreateBody} from '../types.js'

import {p} from '../client.js'

/** One-off dynos (`ferry run`): POST /apps/{app}/dynos; 409 is retried twice like the heroku CLI. */
export const oneOffDynos = (http: Http) => ({
  async create(app: string, body: DynoCreateBody): Promise<Dyno> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await http.post<Dyno>(p`/apps/${app}/dynos`, body)
      } catch (error) {
        if ((error as {status?: number}).status !== 409 || attempt >= 2) throw error
        await new Promise(r => setTimeout(r, 500))
      }
    }
  },
})
