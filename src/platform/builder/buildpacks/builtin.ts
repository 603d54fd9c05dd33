// The buildpacks ferry ships, detected in DETECTION_ORDER when an app sets none (Heroku's language order, then static, Procfile-only).
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {Buildpack} from '../buildpack.js'

import {readConfined, writeConfined} from '../confined.js'
import {BuildError, captureStep, MB} from '../run.js'
import {goBuildpack} from './go.js'
import {gradleBuildpack, javaBuildpack} from './java.js'
import {clojureBuildpack, scalaBuildpack} from './jvm-langs.js'
import {pythonBuildpack} from './python.js'
import {rubyBuildpack} from './ruby.js'
import {satisfies} from './semver.js'
import {STATIC_SERVER_PATH, STATIC_SERVER_SOURCE} from './static-server.js'
import {detail, emptyRelease, exists} from './steps.js'

interface PackageJson {
  devDependencies?: Record<string, string>
  engines?: {node?: string}
  scripts?: Record<string, string>
}

async function readPackageJson(dir: string): Promise<PackageJson> {
  const text = await readConfined(dir, 'package.json', 8 * MB)
  if (text === undefined) throw new BuildError('package.json is missing: the Node.js buildpack needs one.')
  try {
    const value = JSON.parse(text) as unknown
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object')
    return value as PackageJson
  } catch (error) {
    throw new BuildError(`package.json is not valid JSON (${(error as Error).message}). Fix it and push again.`)
  }
}

export const nodejsBuildpack: Buildpack = {
  async compile(ctx) {
    const pkg = await readPackageJson(ctx.buildDir)
    const env: NodeJS.ProcessEnv = {
      ...ctx.env,
      NODE_ENV: ctx.env.NODE_ENV ?? 'production',
      npm_config_audit: 'false',
      npm_config_cache: join(ctx.cacheDir, 'npm'),
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    }
    ctx.log('-----> Installing binaries')
    const nodeVersion = (await captureStep('node', ['--version'], {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})).stdout.trim()
    const npmVersion = (await captureStep('npm', ['--version'], {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})).stdout.trim()
    const wanted = pkg.engines?.node
    ctx.log(`       engines.node (package.json):  ${wanted ?? 'unspecified'}`)
    ctx.log(`       Using the platform's node ${nodeVersion} and npm ${npmVersion}`)
    if (wanted && satisfies(nodeVersion.replace(/^v/, ''), wanted) === false) {
      ctx.log(` !     Warning: engines.node "${wanted}" does not match the available node ${nodeVersion}; building with ${nodeVersion}.`)
    }

    await mkdir(join(ctx.cacheDir, 'npm'), {recursive: true})
    ctx.log('-----> Installing dependencies')
    const lockfile = (await exists(ctx.buildDir, 'package-lock.json', 'file')) || (await exists(ctx.buildDir, 'npm-shrinkwrap.json', 'file'))
    if (lockfile) {
      ctx.log('       Installing node modules (package-lock.json)')
      await detail(ctx, 'npm', ['ci', '--include=dev', '--no-progress'], env, 'npm ci failed')
    } else {
      ctx.log('       Installing node modules (package.json)')
      await detail(ctx, 'npm', ['install', '--include=dev', '--no-progress', '--no-package-lock'], env, 'npm install failed')
    }

    const script = pkg.scripts?.['heroku-postbuild'] === undefined ? (pkg.scripts?.build === undefined ? undefined : 'build') : 'heroku-postbuild'
    ctx.log('-----> Build')
    if (script) {
      ctx.log(`       Running ${script}`)
      await detail(ctx, 'npm', ['run', script], env, `npm run ${script} failed`)
    } else {
      ctx.log('       No build script (heroku-postbuild or build) in package.json')
    }

    if (pkg.devDependencies && Object.keys(pkg.devDependencies).length > 0) {
      ctx.log('-----> Pruning devDependencies')
      await detail(ctx, 'npm', ['prune', '--omit=dev', '--no-progress'], env, 'npm prune failed')
    }

    ctx.log('-----> Caching build')
    ctx.log('       npm cache kept for the next build')
    await writeConfined(
      ctx.buildDir,
      '.profile.d/nodejs.sh',
      // eslint-disable-next-line no-template-curly-in-string -- shell syntax, not a template
      'export PATH="$HOME/node_modules/.bin:$PATH"\nexport NODE_ENV="${NODE_ENV:-production}"\n',
    )
  },
  async detect(ctx) {
    return (await exists(ctx.buildDir, 'package.json', 'file')) ? 'Node.js' : null
  },
  name: 'heroku/nodejs',
  async release(ctx) {
    const info = emptyRelease()
    const pkg = await readPackageJson(ctx.buildDir)
    if (pkg.scripts?.start !== undefined && !(await exists(ctx.buildDir, 'Procfile', 'file'))) {
      info.default_process_types.web = 'npm start'
    }

    return info
  },
  url: 'heroku/nodejs',
}

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
