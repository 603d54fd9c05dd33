// The Go buildpack: `go build` of the module's main packages into bin/, the module and build caches kept in the
// app's cache dir, the go.mod `go` version checked against the platform's Go (toolchain downloads are off).
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {Buildpack, StepContext} from '../buildpack.js'

import {readConfined, writeConfined} from '../confined.js'
import {BuildError, captureStep} from '../run.js'
import {detail, emptyRelease, envDirVars, exists} from './steps.js'

/** Config vars the go command reads that reach it from ENV_DIR (a private proxy or module path). */
const GO_CONFIG_VARS = ['GOPROXY', 'GOPRIVATE', 'GONOPROXY', 'GONOSUMDB', 'GOSUMDB', 'GOINSECURE', 'CGO_ENABLED']

function goEnv(ctx: StepContext, config: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...ctx.env,
    ...config,
    GOCACHE: join(ctx.cacheDir, 'go', 'build'),
    GOFLAGS: '-buildvcs=false',
    GOMODCACHE: join(ctx.cacheDir, 'go', 'mod'),
    GOPATH: join(ctx.cacheDir, 'go', 'path'),
    // A newer toolchain is never downloaded: the go.mod version must be one the platform's Go satisfies.
    GOTOOLCHAIN: 'local',
  }
}

interface GoMod {
  go?: string
  module: string
}

async function readGoMod(dir: string): Promise<GoMod> {
  const text = await readConfined(dir, 'go.mod', 1024 * 1024)
  if (text === undefined) throw new BuildError('go.mod is missing: the Go buildpack needs one (go mod init <module>).')
  const module = text.match(/^\s*module\s+"?([^\s"]+)"?\s*$/m)?.[1]
  if (!module) throw new BuildError('go.mod has no module line: add "module <path>" and push again.')
  return {go: text.match(/^\s*go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m)?.[1], module}
}

/** -1/0/1 comparing Go versions such as 1.22, 1.22.3, 1.26.8. */
export function compareGoVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1
  return 0
}

/** The binary name `go build -o bin/` gives a main package: its last path element (the one before a /vN suffix). */
export function binaryName(importPath: string): string {
  const parts = importPath.split('/')
  const last = parts.at(-1) ?? importPath
  return /^v\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last
}

async function mainPackages(ctx: StepContext, env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<string[]> {
  const listed = await captureStep('go', ['list', '-f', '{{if eq .Name "main"}}{{.ImportPath}}{{end}}', './...'], {cwd: ctx.buildDir, env, onLine, sandbox: ctx.sandbox, signal: ctx.signal})
  if (listed.status !== 0) throw new BuildError(`go list ./... failed (exit status ${listed.status}).`)
  return listed.stdout.split('\n').map(l => l.trim()).filter(Boolean)
}

export const goBuildpack: Buildpack = {
  async compile(ctx) {
    const mod = await readGoMod(ctx.buildDir)
    const env = goEnv(ctx, await envDirVars(ctx, GO_CONFIG_VARS))
    const version = await captureStep('go', ['env', 'GOVERSION'], {cwd: ctx.buildDir, env, sandbox: ctx.sandbox, signal: ctx.signal})
    const host = version.stdout.trim().replace(/^go/, '')
    if (version.status !== 0 || !/^\d+\.\d+/.test(host)) throw new BuildError('Go is not installed on this platform (no working "go" on PATH).')
    ctx.log(`-----> Using go${host} (go.mod: go ${mod.go ?? 'unspecified'})`)
    if (mod.go && compareGoVersions(mod.go, host.match(/^\d+\.\d+(?:\.\d+)?/)![0]) > 0) {
      throw new BuildError(`go.mod requires go ${mod.go}, but this platform has go${host} and does not download toolchains. Lower the go line in go.mod to ${host} or older.`)
    }

    await mkdir(join(ctx.cacheDir, 'go'), {recursive: true})
    ctx.log(`-----> Building ${mod.module}`)
    const mains = await mainPackages(ctx, env, line => line.trim() !== '' && ctx.log(`       ${line}`))
    if (mains.length === 0) throw new BuildError(`Module ${mod.module} has no main package: there is nothing to build into bin/.`)
    ctx.log(`       Main packages: ${mains.join(', ')}`)
    await detail(ctx, 'go', ['build', '-trimpath', '-o', 'bin/', ...mains], env, 'go build failed')
    ctx.log(`       Installed into bin/: ${mains.map(m => binaryName(m)).join(', ')}`)

    ctx.log('-----> Caching build')
    ctx.log('       Go module and build caches kept for the next build')
    await writeConfined(ctx.buildDir, '.profile.d/go.sh', 'export PATH="$HOME/bin:$PATH"\n')
  },
  async detect(ctx) {
    return (await exists(ctx.buildDir, 'go.mod', 'file')) ? 'Go' : null
  },
  name: 'heroku/go',
  async release(ctx) {
    // Like Heroku's: a web process type when the module has exactly one main package.
    const info = emptyRelease()
    const mains = await mainPackages(ctx, goEnv(ctx, await envDirVars(ctx, GO_CONFIG_VARS)), () => {})
    if (mains.length === 1) info.default_process_types.web = `bin/${binaryName(mains[0])}`
    return info
  },
  url: 'heroku/go',
}
