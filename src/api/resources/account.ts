import type {Http} from '../client.js'
import type {Account} from '../types.js'

export const account = (http: Http) => ({
  get: () => http.get<Account>('/account'),
})
