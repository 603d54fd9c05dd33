// The Python interpreters this host can build with: pyenv's installs and /usr/(local/)bin/python3.N, and the version
// an app asks for in .python-version or runtime.txt.
import {execFile} from 'node:child_process'
import {readdir} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {pyenvVersionsDir} from '../../bwrap.js'
import {readConfined} from '../confined.js'
import {BuildError} from '../run.js'

const run = promisify(execFile)

export interface Interpreter {
  path: string
  version: string
}

const VERSION_RE = /^\d+\.\d+\.\d+$/

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

async function versionOf(path: string): Promise<string | undefined> {
  try {
    const {stdout} = await run(path, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {timeout: 10_000})
    return VERSION_RE.test(stdout.trim()) ? stdout.trim() : undefined
  } catch {
    return undefined
  }
}

/** Every CPython 3 the host has, newest first (one per version). */
export async function installedPythons(env: NodeJS.ProcessEnv): Promise<Interpreter[]> {
  const found = new Map<string, string>()
  const pyenv = pyenvVersionsDir(env)
  if (pyenv) {
    for (const name of await readdir(pyenv).catch(() => [] as string[])) {
      if (VERSION_RE.test(name) && name.startsWith('3.')) found.set(name, join(pyenv, name, 'bin', 'python3'))
    }
  }

  for (const dir of ['/usr/local/bin', '/usr/bin']) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/^python3\.\d+$/.test(name)) continue
      const version = await versionOf(join(dir, name))
      if (version && !found.has(version)) found.set(version, join(dir, name))
    }
  }

  return [...found].map(([version, path]) => ({path, version})).sort((a, b) => compareVersions(b.version, a.version))
}

/** The interpreter `python3` on the build's PATH runs (pyenv's shim resolves to its global version). */
async function defaultPython(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const {stdout} = await run('python3', ['-c', 'import sys; print(sys.version_info[0] == 3 and "%d.%d.%d" % sys.version_info[:3])'], {env, timeout: 10_000})
    return VERSION_RE.test(stdout.trim()) ? stdout.trim() : undefined
  } catch {
    return undefined
  }
}

/** The version the app asks for: `.python-version` (pyenv's file) or `runtime.txt` (`python-3.11.7`), if any. */
export async function requestedPython(buildDir: string): Promise<undefined | {file: string; version: string}> {
  for (const file of ['.python-version', 'runtime.txt']) {
    const text = await readConfined(buildDir, file, 4096)
    if (text === undefined) continue
    const line = text.split('\n').map(l => l.trim()).find(l => l !== '' && !l.startsWith('#'))
    const match = line?.match(/^(?:python-)?(3\.\d+(?:\.\d+)?)$/)
    if (!match) throw new BuildError(`${file} says "${line ?? ''}": write a Python 3 version such as 3.11 or 3.11.7 (runtime.txt: python-3.11.7).`)
    return {file, version: match[1]}
  }

  return undefined
}

/** The interpreter for the app: the newest installed one matching its version file, else the host's python3. */
export async function choosePython(buildDir: string, env: NodeJS.ProcessEnv): Promise<Interpreter & {source: string}> {
  const installed = await installedPythons(env)
  const names = installed.map(i => i.version).join(', ') || 'none'
  const wanted = await requestedPython(buildDir)
  if (wanted) {
    const match = installed.find(i => i.version === wanted.version || i.version.startsWith(`${wanted.version}.`))
    if (!match) throw new BuildError(`Python ${wanted.version} (asked for in ${wanted.file}) is not installed on this platform. Installed: ${names}. Change ${wanted.file} to one of these.`)
    return {...match, source: wanted.file}
  }

  const host = await defaultPython(env)
  const chosen = installed.find(i => i.version === host) ?? installed[0]
  if (!chosen) throw new BuildError('No Python 3 interpreter is installed on this platform: install python3 (apt-get install python3 python3-venv).')
  return {...chosen, source: 'default: the platform\'s python3'}
}
