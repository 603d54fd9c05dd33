// The Python buildpack: a virtualenv at .heroku/python in the slug, dependencies installed by pip from
// requirements.txt, a pip-installable project (pyproject.toml / setup.py) or Pipfile.lock, pip's download cache
// kept in the app's cache dir, Django's collectstatic, and .profile.d putting the virtualenv on PATH.
import {mkdir, readdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {Buildpack, StepContext} from '../buildpack.js'

import {readConfined, writeConfined} from '../confined.js'
import {BuildError, captureStep, MB} from '../run.js'
import {innerPath} from '../sandbox.js'
import {detail, emptyRelease, envDirVars, exists} from './steps.js'
import {choosePython} from './python-versions.js'
import {restoreVenv, saveVenv, venvKey} from './python-venv-cache.js'

/** The virtualenv inside the app (the slug is unpacked at $HOME = /app in a dyno). */
export const VENV = '.heroku/python'
const DETECT_FILES = ['requirements.txt', 'pyproject.toml', 'setup.py', 'Pipfile', 'Pipfile.lock']
/** Config vars pip reads that reach pip (and only pip) from ENV_DIR. */
const PIP_CONFIG_VARS = ['PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_TRUSTED_HOST', 'PIP_NO_BINARY', 'PIP_ONLY_BINARY']

/**
 * Rewrites the `#!<venv>/bin/python` line pip gives console scripts (gunicorn, flask) into a /bin/sh preamble that
 * runs the `python` next to the script: the venv is built at the build dir's path and runs at /app, so an absolute
 * shebang would be wrong at run time. The same trick pip's own launcher uses for over-long shebangs.
 */
const RELOCATE_SCRIPTS = String.raw`
import os, sys
bindir = os.path.join(sys.argv[1], 'bin')
prefix = ('#!' + bindir + '/python').encode()
preamble = b"#!/bin/sh\n'''exec' \"$(dirname -- \"$0\")/python\" \"$0\" \"$@\"\n' '''\n"
for name in os.listdir(bindir):
    path = os.path.join(bindir, name)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, 'rb') as f:
        data = f.read()
    end = data.find(b'\n')
    if not data.startswith(prefix) or end < 0 or b' ' in data[len(prefix):end]:
        continue
    with open(path, 'wb') as f:
        f.write(preamble + data[end + 1:])
`

interface LockEntry {
  markers?: string
  version?: string
}

/** Pipfile.lock's `default` section as pinned requirement lines (pip installs them; pipenv is not needed). */
async function pipfileRequirements(ctx: StepContext): Promise<string> {
  const text = await readConfined(ctx.buildDir, 'Pipfile.lock', 16 * MB)
  let lock: {default?: Record<string, LockEntry>}
  try {
    lock = JSON.parse(text ?? '') as {default?: Record<string, LockEntry>}
  } catch (error) {
    throw new BuildError(`Pipfile.lock is not valid JSON (${(error as Error).message}). Run "pipenv lock" and push again.`)
  }

  const lines: string[] = []
  for (const [name, entry] of Object.entries(lock.default ?? {})) {
    if (!/^[\w.-]+(\[[\w.,-]+\])?$/.test(name) || typeof entry?.version !== 'string' || !/^==[\w.!+-]+$/.test(entry.version)) {
      const why = 'git, path and editable entries need pipenv, which this platform does not run. Use a requirements.txt.'
      throw new BuildError(`Pipfile.lock entry "${name}" is not a pinned package version (==X.Y): ${why}`)
    }

    lines.push(`${name}${entry.version}${entry.markers ? ` ; ${entry.markers}` : ''}`)
  }

  return `${lines.join('\n')}\n`
}

/** pip's arguments for what the app declares. */
async function installArgs(ctx: StepContext): Promise<{args: string[]; label: string}> {
  if (await exists(ctx.buildDir, 'requirements.txt', 'file')) return {args: ['-r', 'requirements.txt'], label: 'requirements.txt'}
  if ((await exists(ctx.buildDir, 'pyproject.toml', 'file')) || (await exists(ctx.buildDir, 'setup.py', 'file'))) {
    return {args: ['.'], label: (await exists(ctx.buildDir, 'pyproject.toml', 'file')) ? 'pyproject.toml' : 'setup.py'}
  }

  if (await exists(ctx.buildDir, 'Pipfile.lock', 'file')) {
    // Outside the app dir (not part of the slug); the sandbox sees the work dir as /build.
    await mkdir(join(ctx.workDir, 'tmp'), {recursive: true})
    await writeConfined(ctx.workDir, 'tmp/pipfile-requirements.txt', await pipfileRequirements(ctx))
    return {args: ['-r', join(ctx.workDir, 'tmp', 'pipfile-requirements.txt')], label: 'Pipfile.lock'}
  }

  throw new BuildError('Pipfile found without a Pipfile.lock: run "pipenv lock" (or add a requirements.txt) and push again.')
}

interface PipInstall {
  args: string[]
  env: NodeJS.ProcessEnv
  interpreter: string
  label: string
  python: string
}

/**
 * Installs into the venv from a wheelhouse in the app's cache. pip's own HTTP cache cannot be relied on (it stores
 * only responses with caching headers, which a registry mirror may not send), and with the index on pip prefers
 * the index's copy of a file it also has locally. So, as Heroku's cached site-packages make an unchanged
 * requirements file a no-op: first an offline install from the wheels of earlier builds; when that cannot satisfy
 * the requirements (first build, a new or changed requirement), `pip wheel` downloads and builds the missing wheels
 * into the cache, and the install runs offline from there.
 */
async function installDependencies(ctx: StepContext, pip: PipInstall): Promise<void> {
  const wheels = join(ctx.cacheDir, 'python', 'wheels')
  const run = (command: string, more: string[]) => [...(command === 'install' ? ['--python', pip.python] : []), command, ...more, ...pip.args]
  if (pip.args[0] === '-r') {
    const offlineArgs = ['-m', 'pip', ...run('install', ['--no-index', '--find-links', wheels])]
    const offline = await captureStep(pip.interpreter, offlineArgs, {cwd: ctx.buildDir, env: pip.env, sandbox: ctx.sandbox, signal: ctx.signal})
    if (offline.status === 0) {
      ctx.log('       Installed from the wheels cached by earlier builds (nothing downloaded):')
      for (const line of offline.stdout.split('\n')) if (line.startsWith('Successfully installed')) ctx.log(`       ${line}`)
      return
    }

    // Checked only off the warm path (an offline install that succeeded needed pip): each pip start costs ~0.5 s.
    const pipCheck = await captureStep(pip.interpreter, ['-m', 'pip', '--version'], {cwd: ctx.buildDir, env: pip.env, sandbox: ctx.sandbox, signal: ctx.signal})
    if (pipCheck.status !== 0) throw new BuildError(`pip is not installed for ${pip.interpreter}: install it on the platform (python3-pip), or pick another Python version.`)
    await detail(ctx, pip.interpreter, ['-m', 'pip', ...run('wheel', ['--wheel-dir', wheels, '--find-links', wheels])], pip.env, `pip could not download or build the packages of ${pip.label}`)
    await detail(ctx, pip.interpreter, ['-m', 'pip', ...run('install', ['--no-index', '--find-links', wheels])], pip.env, `pip install (${pip.label}) failed`)
    return
  }

  await detail(ctx, pip.interpreter, ['-m', 'pip', ...run('install', [])], pip.env, `pip install (${pip.label}) failed`)
}

async function isDjango(ctx: StepContext, python: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!(await exists(ctx.buildDir, 'manage.py', 'file'))) return false
  const probe = await captureStep(python, ['-c', 'import django'], {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})
  return probe.status === 0
}

export const pythonBuildpack: Buildpack = {
  async compile(ctx) {
    const interpreter = await choosePython(ctx.buildDir, ctx.env)
    ctx.log(`-----> Using Python ${interpreter.version} (${interpreter.source})`)
    const venv = join(ctx.buildDir, VENV)
    const venvInside = ctx.sandbox ? innerPath(ctx.sandbox, venv) : venv
    const python = join(venv, 'bin', 'python')
    const env: NodeJS.ProcessEnv = {
      ...ctx.env,
      ...(await envDirVars(ctx, PIP_CONFIG_VARS)),
      PIP_CACHE_DIR: join(ctx.cacheDir, 'python', 'pip'),
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      PIP_NO_INPUT: '1',
      PIP_PROGRESS_BAR: 'off',
    }
    await mkdir(join(ctx.cacheDir, 'python', 'wheels'), {recursive: true})
    const {args, label} = await installArgs(ctx)
    ctx.log(`-----> Installing dependencies with pip (${label})`)
    const key = await venvKey(ctx, args, interpreter, env)
    if (key && (await restoreVenv(ctx, key, venv))) {
      ctx.log(`       Virtualenv restored from the build cache (same Python, ${label} and pip settings): nothing installed`)
    } else {
      await detail(ctx, interpreter.path, ['-m', 'venv', '--without-pip', venv], env, `Creating the virtualenv with Python ${interpreter.version} failed`)
      await installDependencies(ctx, {args, env, interpreter: interpreter.path, label, python})
      await detail(ctx, python, ['-c', RELOCATE_SCRIPTS, venvInside], env, 'Making the virtualenv\'s scripts relocatable failed')
      if (key) await saveVenv(ctx, key, venv)
    }

    const config = await envDirVars(ctx, ['DISABLE_COLLECTSTATIC'])
    if (await isDjango(ctx, python, env)) {
      if (config.DISABLE_COLLECTSTATIC && config.DISABLE_COLLECTSTATIC !== '0') {
        ctx.log('-----> Skipping Django collectstatic (DISABLE_COLLECTSTATIC is set)')
      } else {
        ctx.log('-----> $ python manage.py collectstatic --noinput')
        const appConfig = await envDirVars(ctx, await readdir(ctx.envDir).catch(() => []))
        await detail(ctx, python, ['manage.py', 'collectstatic', '--noinput'], {...env, ...appConfig}, 'python manage.py collectstatic --noinput failed (set DISABLE_COLLECTSTATIC=1 to skip it)')
      }

      if (!(await exists(ctx.buildDir, 'Procfile', 'file'))) {
        ctx.log(' !     Warning: this Django app has no Procfile, so no dyno will run: add one, e.g. "web: gunicorn <project>.wsgi".')
      }
    }

    ctx.log('-----> Caching build')
    ctx.log(`       Wheels${key ? ' and the virtualenv' : ''} kept for the next build`)
    await writeConfined(
      ctx.buildDir,
      '.profile.d/python.sh',
      `export VIRTUAL_ENV="$HOME/${VENV}"\nexport PATH="$HOME/${VENV}/bin:$PATH"\nexport PYTHONUNBUFFERED="\${PYTHONUNBUFFERED:-true}"\n`,
    )
  },
  async detect(ctx) {
    for (const file of DETECT_FILES) if (await exists(ctx.buildDir, file, 'file')) return 'Python'
    return null
  },
  name: 'heroku/python',
  async release() {
    // Heroku's Python buildpack declares no default process type: the Procfile says how to run the app.
    return emptyRelease()
  },
  url: 'heroku/python',
}
