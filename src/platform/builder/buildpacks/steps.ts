// Pieces the built-in buildpacks share: file checks confined to the build dir, detail-line commands, empty releases.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {StepContext} from '../buildpack.js'
import type {ReleaseInfo} from '../release-yaml.js'

import {confinedKind} from '../confined.js'
import {BuildError, captureStep, runStep} from '../run.js'

/** Whether the app has `rel` (links followed only inside the build dir: see confined.ts). */
export async function exists(dir: string, rel: string, kind: 'dir' | 'file'): Promise<boolean> {
  return (await confinedKind(dir, rel)) === kind
}

export const emptyRelease = (): ReleaseInfo => ({addons: [], config_vars: {}, default_process_types: {}})

/** Terminal colour codes (Maven prints some even in batch mode): not shown in build output. */

const ANSI_RE = /\u001B\[[\d;]*m/g

/** Runs a command whose output is shown as indented detail lines; a non-zero exit fails the build. */
export async function detail(ctx: StepContext, command: string, args: string[], env: NodeJS.ProcessEnv, failure: string): Promise<void> {
  const onLine = (raw: string) => {
    const line = raw.replaceAll(ANSI_RE, '')
    if (line.trim() !== '') ctx.log(`       ${line}`)
  }

  const status = await runStep(command, args, {cwd: ctx.buildDir, env, onLine, sandbox: ctx.sandbox, signal: ctx.signal})
  if (status !== 0) throw new BuildError(`${failure} (exit status ${status}).`)
}

/** Runs `sh -c script` in the build sandbox (copies of app-controlled trees never run in the daemon itself). */
export async function shell(ctx: StepContext, script: string, args: string[], failure: string): Promise<void> {
  await detail(ctx, 'sh', ['-c', script, 'sh', ...args], ctx.env, failure)
}

/** stdout and stderr of a short command (a `--version`), in the build sandbox; undefined when it cannot run. */
export async function probe(ctx: StepContext, command: string, args: string[], env: NodeJS.ProcessEnv = ctx.env): Promise<string | undefined> {
  const lines: string[] = []
  try {
    const {status, stdout} = await captureStep(command, args, {cwd: ctx.buildDir, env, onLine: line => lines.push(line), sandbox: ctx.sandbox, signal: ctx.signal})
    return status === 0 ? `${stdout}${lines.join('\n')}`.replaceAll(ANSI_RE, '') : undefined
  } catch (error) {
    if (error instanceof BuildError) throw error
    return undefined
  }
}

/**
 * The app's config vars (ENV_DIR, one file per var) among `names`: a buildpack passes on only the ones its tool
 * reads (PIP_INDEX_URL, GOPROXY …), as Heroku's buildpacks export a fixed list from ENV_DIR.
 */
export async function envDirVars(ctx: StepContext, names: string[]): Promise<Record<string, string>> {
  const present = new Set(await readdir(ctx.envDir).catch(() => [] as string[]))
  const vars: Record<string, string> = {}
  for (const name of names) {
    if (present.has(name)) vars[name] = await readFile(join(ctx.envDir, name), 'utf8')
  }

  return vars
}
