import type {Http} from '../client.js'
import type {LogSession, LogSessionCreateBody} from '../types.js'

import {p} from '../client.js'

export const logSessions = (http: Http) => ({
  create: (app: string, body: LogSessionCreateBody) => http.post<LogSession>(p`/apps/${app}/log-sessions`, body, {variant: 'sdk'}),
})
