// What the add-on commands share: finding an app's add-on by add-on name, attachment name or config var
// (DATABASE, DATABASE_URL, postgresql-curly-12345), the URL it gives the app, and heroku's price/state wording.
import type {Api} from '../api/client.js'
import type {Addon, AddonAttachment} from '../api/types.js'

import {InputError} from './errors.js'
import {prompt} from './input.js'

export type AddonKind = 'heroku-postgresql' | 'heroku-redis'

export interface ResolvedAddon {
  addon: Addon
  /** The attachment on the app through which it was found (its config var holds the URL). */
  attachment: AddonAttachment
  /** `<attachment>_URL`'s value in the app's config. */
  url: string
}

/** The app's add-on `name` (or the default one of `kind`: DATABASE / REDIS, else the only one). */
export async function resolveAddon(api: Api, app: string, kind: AddonKind | undefined, name?: string): Promise<ResolvedAddon> {
  const [addons, attachments, config] = await Promise.all([api.addons.list(app), api.addons.attachments(app), api.configVars.get(app)])
  const byId = new Map(addons.map(a => [a.id, a]))
  const candidates = attachments.filter(t => byId.has(t.addon.id) && (!kind || byId.get(t.addon.id)!.addon_service.name === kind))
  const what = kind === 'heroku-redis' ? 'Redis' : kind === 'heroku-postgresql' ? 'PostgreSQL' : 'add-on'
  if (candidates.length === 0) {
    throw new InputError(`${app} has no ${what} add-ons. Create one with "ferry addons:create ${kind ?? 'heroku-postgresql'} -a ${app}".`)
  }

  let found: AddonAttachment | undefined
  if (name) {
    const key = name.replace(/_URL$/i, '').toUpperCase()
    found = candidates.find(t => t.name === key) ?? candidates.find(t => t.addon.name === name || t.addon.id === name)
  } else {
    const preferred = kind === 'heroku-redis' ? 'REDIS' : 'DATABASE'
    found = candidates.find(t => t.name === preferred) ?? (candidates.length === 1 ? candidates[0] : undefined)
  }

  if (!found) {
    const names = candidates.map(t => `${t.name} (${t.addon.name})`).join(', ')
    throw new InputError(name ? `Couldn't find ${what} "${name}" on ${app}. Available: ${names}.` : `${app} has several ${what} add-ons (${names}): name one.`)
  }

  const url = config[`${found.name}_URL`]
  if (!url) throw new InputError(`Config var ${found.name}_URL is not set on ${app}; detach and attach the add-on again.`)
  return {addon: byId.get(found.addon.id)!, attachment: found, url}
}

/** heroku's price column: `~$0.007/hour` (hourly) or `$5/month`. */
export function formatPrice(addon: Addon, hourly: boolean): string {
  const cents = addon.billed_price?.cents ?? 0
  if (cents === 0) return 'free'
  if (!hourly) return `$${cents / 100}/month`
  return `~$${(cents / 100 / 720).toFixed(3)}/hour`
}

/** heroku's wording of an add-on state. */
export function formatState(state: string): string {
  return {deprovisioned: 'errored', provisioned: 'created', provisioning: 'creating'}[state] ?? state
}

/** The attachments of an add-on as heroku prints them: `app::DATABASE`. */
export function attachmentNames(addon: Addon, attachments: AddonAttachment[]): string[] {
  return attachments.filter(t => t.addon.id === addon.id).map(t => `${t.app.name}::${t.name}`)
}

/** The psql binary: on PATH, else the newest /usr/lib/postgresql/N/bin/psql. */
export async function psqlBinary(): Promise<string> {
  const {existsSync, readdirSync} = await import('node:fs')
  const {delimiter, join} = await import('node:path')
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'psql'))) return join(dir, 'psql')
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    for (const v of versions) if (existsSync(join('/usr/lib/postgresql', v, 'bin', 'psql'))) return join('/usr/lib/postgresql', v, 'bin', 'psql')
  } catch {}

  throw new InputError('psql is not installed: install the PostgreSQL client (Debian: apt-get install postgresql-client) and retry.')
}

/** Runs a program attached to this terminal; resolves with its exit code (a missing binary is an input error). */
export async function runAttached(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const {spawn} = await import('node:child_process')
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {env, stdio: 'inherit'})
    child.on('error', error => reject((error as NodeJS.ErrnoException).code === 'ENOENT' ? new InputError(`${file} is not installed.`) : error))
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

/**
 * Destructive add-on commands need the app's name: `--confirm APP`, or typed at a prompt on a terminal. `what` says
 * what happens (`Destroying postgresql-curly-12345 deletes its data`), `warning` is the prompt's line.
 */
export async function confirmDestructive(app: string, given: string | undefined, what: string, warning: string): Promise<void> {
  let confirmation = given
  if (confirmation === undefined) {
    if (!process.stdin.isTTY) throw new InputError(`${what} and needs confirmation: pass --confirm ${app}.`)
    confirmation = await prompt(`WARNING: Destructive action\n${warning}\nTo proceed, type ${app} or re-run this command with --confirm ${app}\n> `)
  }

  if (confirmation !== app) throw new InputError(`Confirmation ${confirmation} did not match ${app}. Aborted.`)
}
