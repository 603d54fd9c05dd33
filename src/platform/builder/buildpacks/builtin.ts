// The buildpacks ferry ships, detected in DETECTION_ORDER when an app sets none (Heroku's language order, then static, Procfile-only).
import type {Buildpack} from '../buildpack.js'

import {writeConfined} from '../confined.js'
import {goBuildpack} from './go.js'
import {gradleBuildpack, javaBuildpack} from './java.js'
import {clojureBuildpack, scalaBuildpack} from './jvm-langs.js'
import {nodejsBuildpack} from './nodejs.js'
import {pythonBuildpack} from './python.js'
import {rubyBuildpack} from './ruby.js'
import {STATIC_SERVER_PATH, STATIC_SERVER_SOURCE} from './static-server.js'
import {emptyRelease, exists} from './steps.js'

async function staticRoot(dir: string): Promise<'.' | 'public'> {
  return (await exists(dir, 'public', 'dir')) && !(await exists(dir, 'index.html', 'file')) ? 'public' : '.'
}

export const staticBuildpack: Buildpack = {
  async compile(ctx) {
    const root = await staticRoot(ctx.buildDir)
    ctx.log(`       Serving ${root === '.' ? 'the app root' : 'public/'} with ferry's static file server`)
    await writeConfined(ctx.buildDir, STATIC_SERVER_PATH, STATIC_SERVER_SOURCE)
  },
  async detect(ctx) {
    return (await exists(ctx.buildDir, 'index.html', 'file')) || (await exists(ctx.buildDir, 'public', 'dir')) ? 'Static HTML' : null
  },
  name: 'ferry/static',
  async release(ctx) {
    const info = emptyRelease()
    info.default_process_types.web = `node ${STATIC_SERVER_PATH} ${await staticRoot(ctx.buildDir)}`
    return info
  },
  url: 'ferry/static',
}

export const procfileBuildpack: Buildpack = {
  async compile(ctx) {
    ctx.log('       Using the source as it is')
  },
  async detect(ctx) {
    return (await exists(ctx.buildDir, 'Procfile', 'file')) ? 'Procfile' : null
  },
  name: 'ferry/procfile',
  async release() {
    return emptyRelease()
  },
  url: 'ferry/procfile',
}

/** Detection order when an app has no buildpack installations. */
export const DETECTION_ORDER: Buildpack[] = [
  rubyBuildpack,
  nodejsBuildpack,
  clojureBuildpack,
  pythonBuildpack,
  javaBuildpack,
  gradleBuildpack,
  scalaBuildpack,
  goBuildpack,
  staticBuildpack,
  procfileBuildpack,
]

/** Built-ins by the names `buildpacks:add` may use (registry names and their urn: forms resolve here). */
export const BUILTINS = new Map<string, Buildpack>([
  ['ferry/go', goBuildpack],
  ['ferry/nodejs', nodejsBuildpack],
  ['ferry/procfile', procfileBuildpack],
  ['ferry/python', pythonBuildpack],
  ['ferry/static', staticBuildpack],
  ['heroku/clojure', clojureBuildpack],
  ['heroku/go', goBuildpack],
  ['heroku/gradle', gradleBuildpack],
  ['heroku/java', javaBuildpack],
  ['heroku/nodejs', nodejsBuildpack],
  ['heroku/python', pythonBuildpack],
  ['heroku/ruby', rubyBuildpack],
  ['heroku/scala', scalaBuildpack],
  ['heroku/static', staticBuildpack],
])
