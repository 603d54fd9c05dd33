import type {Http} from '../client.js'
import type {ConfigVars, ConfigVarsPatch} from '../types.js'

import {p} from '../client.js'

export const configVars = (http: Http) => ({
  get: (app: string) => http.get<ConfigVars>(p`/apps/${app}/config-vars`),
  /** A null value removes the key; every change creates a release. */
  update: (app: string, patch: ConfigVarsPatch) => http.patch<ConfigVars>(p`/apps/${app}/config-vars`, patch),
})
