// POST /apps/:app/dynos: one-off dynos (`ferry run`, `heroku run`). Attached → `attach_url` on the rendezvous
// listener; detached → output goes to the app's log. 409 while the app has no release with a slug.
import type {Dyno, DynoCreateBody} from '../../../api/types.js'
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {conflict, invalidParams, notFound} from '../http.js'
import {hasScript, ptyCommand} from '../../run/pty.js'
import {Rendezvous} from '../../run/rendezvous.js'
import {certificateDir, ensureCertificate} from '../../run/tls.js'

const MAX_TTL_SECONDS = 86_400
function validate(body: unknown): DynoCreateBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidParams('Dyno body must be an object with a command.')
  const b = body as Record<string, unknown>
  if (typeof b.command !== 'string' || b.command.trim() === '') throw invalidParams('command must be a non-empty string.')
  if (b.attach !== undefined && typeof b.attach !== 'boolean') throw invalidParams('attach must be a boolean.')
  if (b.force_no_tty !== undefined && b.force_no_tty !== null && typeof b.force_no_tty !== 'boolean') throw invalidParams('force_no_tty must be a boolean.')
  if (b.size !== undefined && typeof b.size !== 'string') throw invalidParams('size must be a string.')
  if (b.type !== undefined && (typeof b.type !== 'string' || !/^[\w-]{1,128}$/.test(b.type))) throw invalidParams('type must be a process type name.')
  if (b.time_to_live !== undefined && (typeof b.time_to_live !== 'number' || b.time_to_live <= 0 || b.time_to_live > MAX_TTL_SECONDS))
    throw invalidParams(`time_to_live must be between 1 and ${MAX_TTL_SECONDS} seconds.`)
  if (b.env !== undefined) {
    if (typeof b.env !== 'object' || b.env === null || Array.isArray(b.env)) throw invalidParams('env must be an object of strings.')
    for (const [k, v] of Object.entries(b.env)) {
      if (!/^\w+$/.test(k)) throw invalidParams(`Invalid env var name "${k}".`)
      if (typeof v !== 'string') throw invalidParams(`env var ${k} must be a string.`)
    }
  }

  return b as unknown as DynoCreateBody
}

export interface RunRoutesOptions {
  rendezvous?: Rendezvous
}

/** Registers POST /apps/:app/dynos. The rendezvous listener starts on first use; closed by `close()`. */
export function runRoutes(router: Router, ctx: PlatformContext, options: RunRoutesOptions = {}): {close(): Promise<void>; rendezvous: Rendezvous} {
  // The certificate is made (once per data dir) when the daemon starts, so clients can trust it from then on.
  const rendezvous =
    options.rendezvous ??
    new Rendezvous({
      greetingTimeoutMs: ctx.config.headTimeoutMs,
      host: ctx.config.host,
      tls: ctx.config.dataDir ? ensureCertificate(certificateDir(ctx.config.dataDir)) : undefined,
    })
  router.post('/apps/:app/dynos', async c => {
    const app = ctx.store.findApp(c.params.app)
    if (!app) throw notFound("Couldn't find that app.", 'app')
    const body = validate(c.body)
    if (!ctx.desired(app.id)?.release) throw conflict('App has no release yet: deploy it first (git push ferry main).')
    const attach = Boolean(body.attach)
    const pty = attach && !body.force_no_tty && hasScript
    const command = pty ? ptyCommand(body.command, body.env) : body.command
    let handle
    try {
      handle = await ctx.supervisor.startOneOff({appId: app.id, attach, command, env: body.env, type: body.type ?? 'run'})
    } catch (error) {
      const kind = (error as {kind?: string}).kind
      if (kind === 'Conflict') throw conflict((error as Error).message)
      if (kind === 'NotFound') throw notFound((error as Error).message)
      throw error
    }

    if (body.time_to_live) {
      const ttl = setTimeout(() => handle.stop().catch(() => {}), body.time_to_live * 1000)
      ttl.unref()
      handle.exit.finally(() => clearTimeout(ttl)).catch(() => {})
    }

    const dyno: Dyno = {...handle.dyno, attach_url: null, command: body.command, size: body.size ?? handle.dyno.size}
    if (attach) dyno.attach_url = await rendezvous.register(handle, {pty, tty: !body.force_no_tty})
    return {body: dyno, status: 201}
  })
  return {close: () => rendezvous.close(), rendezvous}
}

/** The route module for buildServer (the rendezvous listener closes with the process). */
export function registerRunRoutes(router: Router, ctx: PlatformContext): void {
  runRoutes(router, ctx)
}
