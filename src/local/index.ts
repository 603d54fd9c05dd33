// `ferry local`: a Procfile runner for a working copy (no build, no sandbox, no daemon). Public surface of src/local.
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import {parseEnvFile} from './env-file.js'
import {notFound} from './errors.js'
import {basePort, parseSelection, planProcesses, ProcessSpec, resolveSelection} from './formation.js'
import {ProcfileEntry, parseProcfile} from './procfile.js'

export {parseEnvFile} from './env-file.js'
export {clip, describeInputError, LocalError, type LocalErrorKind} from './errors.js'
export {
  basePort,
  DEFAULT_BASE_PORT,
  parsePort,
  parseSelection,
  planProcesses,
  processEnv,
  type ProcessSpec,
  resolveSelection,
  type Selection,
} from './formation.js'
export {colorEnabled, formatClock, PrefixedOutput} from './output.js'
export {assertPortsFree, portFree} from './ports.js'
export {aliveGroups, signalGroup} from './process-group.js'
export {parseProcfile, type ProcfileEntry} from './procfile.js'
export {describeExit, exitStatus, LocalRunner, restartDelay, type RunnerOptions, runProcesses} from './runner.js'

export interface LocalOptions {
  /** The caller's working directory; relative paths are resolved against it. */
  cwd: string
  /** `-f/--procfile`; default `Procfile`. The processes run in the Procfile's directory. */
  procfile?: string
  /** `-e/--env` values (each may be a comma list); default `.env` beside the Procfile, optional. */
  envFiles?: string[]
  /** `-p/--port`. */
  port?: number
  /** Type arguments and `-m/--formation` values: `web`, `web=2`, `web=1,worker=2`. */
  selection?: string[]
  /** `--start-cmd`: run as `web` when there is no Procfile. */
  startCmd?: string
  callerEnv: NodeJS.ProcessEnv
}

export interface LocalPlan {
  /** Directory the processes run in. */
  root: string
  procfile: ProcfileEntry[]
  /** Merged variables of the env files (later files win). */
  envFileVars: Record<string, string>
  base: number
  specs: ProcessSpec[]
  /** Lines for stderr: which env files were loaded, skipped. */
  notices: string[]
}

/** Reads the Procfile and env files, and plans which processes to start on which ports. Throws LocalError on bad input. */
export async function planLocal(options: LocalOptions): Promise<LocalPlan> {
  const {procfile, root} = await loadProcfile(options)
  const {notices, vars} = await loadEnvFiles(options, root)
  const selection = resolveSelection(procfile, parseSelection(options.selection ?? []))
  const base = basePort(options.port, vars, options.callerEnv)
  return {base, envFileVars: vars, notices, procfile, root, specs: planProcesses(procfile, selection, base)}
}

export async function loadProcfile(options: Pick<LocalOptions, 'cwd' | 'procfile' | 'startCmd'>): Promise<{procfile: ProcfileEntry[]; root: string}> {
  const file = path.resolve(options.cwd, options.procfile ?? 'Procfile')
  const shown = path.relative(options.cwd, file) || file
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw error
    if (options.startCmd !== undefined && options.procfile === undefined) {
      return {procfile: [{command: options.startCmd, line: 0, type: 'web'}], root: options.cwd}
    }

    throw notFound(`No Procfile found at ${shown}. Create one (e.g. "web: npm start"), or pass --procfile FILE or --start-cmd CMD.`)
  }

  return {procfile: parseProcfile(text, shown), root: path.dirname(file)}
}

/** Loads the env files in order; an explicitly named missing file is an error, a missing default `.env` is not. */
export async function loadEnvFiles(options: Pick<LocalOptions, 'cwd' | 'envFiles'>, root: string): Promise<{notices: string[]; vars: Record<string, string>}> {
  const explicit = (options.envFiles ?? []).flatMap(v => v.split(',')).map(v => v.trim()).filter(Boolean)
  const files = explicit.length > 0 ? explicit.map(f => path.resolve(options.cwd, f)) : [path.join(root, '.env')]
  const vars: Record<string, string> = {}
  const notices: string[] = []
  for (const file of files) {
    const shown = path.relative(options.cwd, file) || file
    let info
    try {
      info = await stat(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      if (explicit.length > 0) throw notFound(`Env file ${shown} not found. Check the --env path.`)
      continue
    }

    if (info.isDirectory()) {
      notices.push(`Skipping env file ${shown}: it is a directory.`)
      continue
    }

    const parsed = parseEnvFile(await readFile(file, 'utf8'), shown)
    Object.assign(vars, parsed)
    notices.push(`Loaded ${Object.keys(parsed).length} variable${Object.keys(parsed).length === 1 ? '' : 's'} from ${shown}`)
  }

  return {notices, vars}
}
