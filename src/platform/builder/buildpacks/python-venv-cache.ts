// The Python buildpack's virtualenv kept between builds (as Heroku keeps site-packages): when the interpreter, the
// requirement lines and pip's settings are those of the build that filled the cache, the virtualenv is copied back
// and pip does not run at all (an offline pip install of a Flask app's nine wheels costs 2–5 s on these machines, the
// copy ~0.2 s); any change, and every project install (`pip install .`), goes through pip as before.
import {createHash} from 'node:crypto'
import {isAbsolute, join, relative} from 'node:path'

import type {StepContext} from '../buildpack.js'

import {readConfined, writeConfined} from '../confined.js'
import {captureStep, MB} from '../run.js'
import {shell} from './steps.js'

const CACHED_VENV = join('python', 'venv')
const CACHED_KEY = join('python', 'venv.key')

/** true when a requirement line's meaning is all in its text: no option (-r, -e, --find-links …), path or URL. */
function selfContained(line: string): boolean {
  // `--hash=…` options and `\` continuations only pin what the line names.
  const tokens = line.split(/\s+/).filter(t => t !== '\\' && !t.startsWith('--hash'))
  if (tokens.length === 0) return true
  return !/^[-.]/.test(tokens[0]) && !tokens.some(t => /[/\\]/.test(t))
}

/**
 * What a virtualenv installed with `pip install -r FILE` depends on: the interpreter, the file's text and the PIP_*
 * settings. undefined (no reuse) for other installs and for a file whose lines name other files, paths or URLs.
 */
export async function venvKey(ctx: StepContext, args: string[], interpreter: {path: string; version: string}, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (args[0] !== '-r' || args.length !== 2) return undefined
  const file = args[1]
  const text = await (isAbsolute(file) ? readConfined(ctx.workDir, relative(ctx.workDir, file), 16 * MB) : readConfined(ctx.buildDir, file, 16 * MB)).catch(() => undefined)
  if (text === undefined) return undefined
  for (const raw of text.split('\n')) if (!selfContained(raw.replace(/(^|\s)#.*$/, '').trim())) return undefined
  const pip = Object.entries(env).filter(([name]) => name.startsWith('PIP_')).sort(([a], [b]) => a.localeCompare(b))
  return createHash('sha256').update(JSON.stringify([interpreter.path, interpreter.version, text, pip])).digest('hex')
}

/** Copies the cached virtualenv to `venv` when it was installed for `key`; whether it did. */
export async function restoreVenv(ctx: StepContext, key: string, venv: string): Promise<boolean> {
  // Not a regular file (the cache is the app's to write): no reuse.
  if ((await readConfined(ctx.cacheDir, CACHED_KEY, 1024).catch(() => undefined))?.trim() !== key) return false
  // In the sandbox: the cache is written by app code.
  const script = 'if [ -d "$1" ] && [ ! -e "$2" ]; then mkdir -p "$(dirname "$2")" && cp -a "$1" "$2"; else exit 3; fi'
  const copy = await captureStep('sh', ['-c', script, 'sh', join(ctx.cacheDir, CACHED_VENV), venv], {cwd: ctx.buildDir, env: ctx.env, sandbox: ctx.sandbox, signal: ctx.signal})
  return copy.status === 0
}

/** Keeps `venv` (installed for `key`) for the next build; the key is written last, so a partial copy is never reused. */
export async function saveVenv(ctx: StepContext, key: string, venv: string): Promise<void> {
  const cached = join(ctx.cacheDir, CACHED_VENV)
  await shell(ctx, 'rm -rf "$1" "$2" && mkdir -p "$(dirname "$2")" && cp -a "$3" "$2"', [join(ctx.cacheDir, CACHED_KEY), cached, venv], 'Saving the virtualenv to the build cache failed')
  await writeConfined(ctx.cacheDir, CACHED_KEY, `${key}\n`)
}
