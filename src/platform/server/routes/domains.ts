// Domains (issue 16): an app's default `<app>.localhost` (kind heroku) and its custom domains, which the router
// also routes to it (router/index.ts resolveApp → store.findAppByDomain). The official CLI's domains:add also lists
// SNI endpoints first: there are none locally.
import {createHash} from 'node:crypto'

import type {Domain} from '../../../api/types.js'
import type {PlatformContext} from '../../context.js'
import type {AppRecord, DomainRecord} from '../../store/index.js'
import type {Router} from '../http.js'

import {isoTimestamp} from '../../time.js'
import {invalidParams, listReply, notFound} from '../http.js'
import {appParam} from '../support.js'
import {objectBody} from '../validate.js'

const DOMAIN_RANGE = {defaultField: 'hostname', fields: ['hostname', 'id']}

/** A stable uuid-shaped id for the app's default domain (it is not stored: it follows the app's name). */
function defaultDomainId(app: AppRecord): string {
  const h = createHash('sha1').update(`heroku-domain:${app.id}:${app.name}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

function present(app: AppRecord, d: DomainRecord | undefined): Domain {
  return {
    acm_status: null,
    acm_status_reason: null,
    app: {id: app.id, name: app.name},
    // The router listens on localhost: point the name there (/etc/hosts, or a CNAME to localhost).
    cname: d ? 'localhost' : null,
    created_at: d?.createdAt ?? app.createdAt,
    hostname: d?.hostname ?? `${app.name}.localhost`,
    id: d?.id ?? defaultDomainId(app),
    kind: d ? 'custom' : 'heroku',
    sni_endpoint: null,
    status: 'none',
    updated_at: d?.updatedAt ?? app.createdAt,
  }
}

export function registerDomainRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx

  const all = (app: AppRecord) => [present(app, undefined), ...store.listDomains(app.id).map(d => present(app, d))]

  router.get('/apps/:app/domains', c => listReply(c, all(appParam(ctx, c.params.app)), DOMAIN_RANGE))

  router.post('/apps/:app/domains', c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['hostname', 'sni_endpoint'], {required: true})
    if (body.sni_endpoint !== undefined && body.sni_endpoint !== null) notFoundEndpoint()
    return {body: present(app, store.addDomain(app.id, body.hostname, isoTimestamp())), status: 201}
  })

  router.get('/apps/:app/domains/:domain', c => {
    const app = appParam(ctx, c.params.app)
    const found = all(app).find(d => d.id === c.params.domain || d.hostname === c.params.domain.toLowerCase())
    if (!found) throw notFound("Couldn't find that domain.")
    return {body: found}
  })

  router.delete('/apps/:app/domains/:domain', c => {
    const app = appParam(ctx, c.params.app)
    if (!store.findDomain(app.id, c.params.domain) && all(app)[0].hostname === c.params.domain.toLowerCase()) {
      throw invalidParams(`${app.name}.localhost is the app's default domain; it cannot be removed.`)
    }

    return {body: present(app, store.removeDomain(app.id, c.params.domain))}
  })

  router.get('/apps/:app/sni-endpoints', c => {
    appParam(ctx, c.params.app)
    return listReply(c, [], {fields: ['id', 'name']})
  })
}

function notFoundEndpoint(): never {
  throw notFound('There are no SNI endpoints here (local routing is plain HTTP): leave sni_endpoint null.')
}
