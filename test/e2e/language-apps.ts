// Shared steps of the per-language e2e suites (issue 17): the suite's preamble (describeLanguage: what it needs, a
// FERRY_HOME and scratch dir), an example app as a git work tree, `git push ferry main` through the real CLI, and GET /
// through the router.
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect} from 'vitest'

import {ferryEnv, makeFerryHome, readDaemonJson, removeFerryHome, ROOT, routerGet, runFerry, runGit} from '../helpers/index.js'
import {bwrapUsable, skipUnlessAvailable} from '../helpers/requires.js'

/** true when every command is on PATH. */
export const onPath = (...names: string[]): boolean => runs('sh', '-c', names.map(c => `command -v ${c}`).join(' && '))

/** true when `command args…` runs and exits 0 (e.g. `python3 -m pip --version`). */
export function runs(command: string, ...args: string[]): boolean {
  try {
    execFileSync(command, args, {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** Something a suite needs on the host (a toolchain, bubblewrap): `available` is asked once, before the suite. */
export interface Needs {available: () => boolean; fix: string; what: string}

/** The `commands` on PATH (`what` names them in the skip or failure, `fix` says how to install them). */
export const commands = (what: string, fix: string, ...names: string[]): Needs => ({available: () => onPath(...names), fix, what})

/** Builds and dynos in the bubblewrap sandbox (without it the platform would run them unsandboxed). */
export const bubblewrap: Needs = {available: bwrapUsable, fix: 'apt-get install bubblewrap', what: 'bubblewrap'}

/** What a language suite's tests get: its FERRY_HOME and scratch dir (set before the first test). */
export interface LanguageSuite {
  /** examples/<example> as a git work tree in the scratch dir, and the app `name` created from it (git remote ferry). */
  app(example: string, name: string): Promise<string>
  home: string
  scratch: string
}

/**
 * A language e2e suite: skipped without the built CLI or what it `needs`, checked in order (under CI=true it fails
 * instead, naming what is missing); a temp FERRY_HOME and scratch dir (ferry-e2e-<id>-*), removed with the daemon
 * afterwards.
 */
export function describeLanguage(title: string, options: {id: string; needs: Needs[]}, tests: (suite: LanguageSuite) => void): void {
  const missing =
    skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js')), 'run npm run build') ||
    options.needs.some(n => skipUnlessAvailable(n.what, n.available(), n.fix))
  describe.skipIf(missing)(title, () => {
    const suite: LanguageSuite = {
      async app(example, name) {
        const dir = exampleTree(suite.home, suite.scratch, example, name)
        await createApp(suite.home, name, dir)
        return dir
      },
      home: '',
      scratch: '',
    }
    beforeAll(() => {
      suite.home = makeFerryHome()
      suite.scratch = mkdtempSync(join(tmpdir(), `ferry-e2e-${options.id}-`))
    })
    afterAll(async () => {
      if (suite.home) await removeFerryHome(suite.home)
      if (suite.scratch) rmSync(suite.scratch, {force: true, recursive: true})
    })
    tests(suite)
  })
}

/** A git work tree in `scratch/name` with the git-tracked files of examples/<example>, committed on main. */
export function exampleTree(home: string, scratch: string, example: string, name: string): string {
  const dir = join(scratch, name)
  mkdirSync(dir, {recursive: true})
  const files = execFileSync('git', ['ls-files', `examples/${example}`], {cwd: ROOT, encoding: 'utf8'}).trim().split('\n').filter(Boolean)
  if (files.length === 0) throw new Error(`examples/${example} has no git-tracked files`)
  for (const file of files) {
    const target = join(dir, file.slice(`examples/${example}/`.length))
    mkdirSync(dirname(target), {recursive: true})
    copyFileSync(join(ROOT, file), target)
  }

  const env = ferryEnv(home)
  execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir, env})
  commit(home, dir, `${name} example`)
  return dir
}

/** Writes `files` (path → content; null deletes) and commits everything. */
export function commit(home: string, dir: string, message: string, files: Record<string, null | string> = {}): void {
  // Never the repository the tests run from (a failed earlier step leaves `dir` unset: git would run in the cwd).
  if (typeof dir !== 'string' || !dir.startsWith(tmpdir())) throw new Error(`not a scratch work tree: ${dir}`)
  const env = ferryEnv(home)
  for (const [file, content] of Object.entries(files)) {
    if (content === null) {
      execFileSync('git', ['rm', '-q', file], {cwd: dir, env})
    } else {
      mkdirSync(dirname(join(dir, file)), {recursive: true})
      writeFileSync(join(dir, file), content)
    }
  }

  execFileSync('git', ['add', '-A'], {cwd: dir, env})
  execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {cwd: dir, env})
}

export async function createApp(home: string, name: string, cwd: string): Promise<void> {
  const created = await runFerry(['apps:create', name], {cwd, home})
  expect(created.code, created.stderr).toBe(0)
}

/** `git push ferry main` with the CLI's environment; also how long it took. */
export async function push(home: string, cwd: string): Promise<{code: number; ms: number; output: string}> {
  const started = Date.now()
  const result = await runGit(cwd, ferryEnv(home), 'push', 'ferry', 'main')
  return {...result, ms: Date.now() - started}
}

export async function releaseVersions(home: string, app: string): Promise<number[]> {
  const r = await runFerry(['releases', '--json', '-a', app], {home})
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as Array<{version: number}>).map(x => x.version).sort((a, b) => a - b)
}

/** GET / through the router with Host: <app>.localhost until it answers 200 (dynos boot) with `expected` in it; the body. */
export async function viaRouter(home: string, app: string, timeoutMs = 45_000, expected = ''): Promise<string> {
  const {routerPort} = readDaemonJson(home)!
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const got = await routerGet(routerPort, `${app}.localhost`).catch(error => ({body: (error as Error).message, status: 0}))
    if (got.status === 200 && got.body.includes(expected)) return got.body
    last = `${got.status} ${got.body}`
    await new Promise(r => setTimeout(r, 500))
  }

  throw new Error(`${app} did not answer${expected ? ` "${expected}"` : ''} through the router: ${last}`)
}
