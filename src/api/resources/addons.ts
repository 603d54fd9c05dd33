import type {Http} from '../client.js'
import type {Addon, AddonAttachment, AddonPlan, AddonServerInfo, AddonService, PgBackup} from '../types.js'

import {p} from '../client.js'

export interface AddonCreateBody {
  attachment?: {name?: string}
  config?: Record<string, string>
  confirm?: string
  name?: string
  plan: string
}

export const addons = (http: Http) => ({
  attach: (body: {addon: string; app: string; confirm?: string; name?: string}) => http.post<AddonAttachment>('/addon-attachments', body),
  /** The add-on's attachments, or every attachment (of every app) without an add-on. */
  attachments: (app?: string) => http.list<AddonAttachment>(app ? p`/apps/${app}/addon-attachments` : '/addon-attachments'),
  create: (app: string, body: AddonCreateBody) => http.post<Addon>(p`/apps/${app}/addons`, body),
  destroy: (app: string, addon: string) => http.delete<Addon>(p`/apps/${app}/addons/${addon}`),
  detach: (attachmentId: string) => http.delete<AddonAttachment>(p`/addon-attachments/${attachmentId}`),
  /** By id, name or (with an app) attachment name. */
  info: (addon: string, app?: string) => http.get<Addon>(app ? p`/apps/${app}/addons/${addon}` : p`/addons/${addon}`),
  list: (app?: string) => http.list<Addon>(app ? p`/apps/${app}/addons` : '/addons'),
  plans: (service: string) => http.list<AddonPlan>(p`/addon-services/${service}/plans`),
  /** ferry only: empties the add-on's database (pg:reset). */
  reset: (addon: string) => http.post<Addon>(p`/ferry/addons/${addon}/reset`, {}),
  /** ferry only: what the server behind the add-on reports (pg:info, redis:info). */
  serverInfo: (addon: string) => http.get<AddonServerInfo>(p`/ferry/addons/${addon}/info`),
  services: () => http.list<AddonService>('/addon-services'),
  /** ferry only: pg:backups of an app; capture through an attachment (DATABASE), restore the latest or `backup` into one. */
  backups: {
    capture: (app: string, database: string) => http.post<PgBackup>(p`/ferry/apps/${app}/pg-backups`, {database}),
    list: (app: string) => http.get<PgBackup[]>(p`/ferry/apps/${app}/pg-backups`),
    restore: (app: string, database: string, backup?: string) => http.post<PgBackup>(p`/ferry/apps/${app}/pg-backups/restore`, {backup, database}),
  },
})
