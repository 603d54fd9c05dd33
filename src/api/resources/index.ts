// Resource groups of the API client. To add one: write `src/api/resources/<name>.ts` exporting
// `export const <name> = (http: Http) => ({...methods})` and register it here with ONE line.
import {account} from './account.js'
import {addons} from './addons.js'
import {appFeatures} from './app-features.js'
import {apps} from './apps.js'
import {buildpacks, builds, sources} from './builds.js'
import {configVars} from './config-vars.js'
import {domains} from './domains.js'
import {dynos} from './dynos.js'
import {formation} from './formation.js'
import {logSessions} from './log-sessions.js'
import {oneOffDynos} from './one-off-dynos.js'
import {platform} from './platform.js'
import {releases} from './releases.js'
import {slugs} from './slugs.js'

export const resources = {
  account,
  apps,
  configVars,
  dynos,
  formation,
  platform,
  releases,
  slugs,
  logSessions,
  oneOffDynos,
  appFeatures,
  // engineers C/D/E: register builds, buildpacks, dyno actions, log sessions below (one line each)
  builds, buildpacks, sources,
  addons,
  domains,
}
