#!/usr/bin/env node
// `npm run demo`: start the local platform (autostart through the CLI), deploy examples/node-hello as the app
// `demo-hello` with a real `git push ferry main`, scale it to web=2 worker=1, wait until both web dynos answer
// through the router, then print the URL, `ferry ps` and what to type next.
//
// Uses the normal data dir (~/.local/share/ferry) unless FERRY_HOME is set. The demo's git repository lives
// outside this checkout: $FERRY_HOME/demo/node-hello, else ${XDG_DATA_HOME:-~/.local/share}/ferry-demo/node-hello.
// Rerunning it destroys and recreates the app and the repository. Never reads stdin (safe under CI).
// Env: FERRY_DEMO_APP (default demo-hello), FERRY_DEMO_TIMEOUT (seconds to wait for the dynos, default 120).
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const EXAMPLE = path.join(ROOT, 'examples', 'node-hello')
const APP = process.env.FERRY_DEMO_APP || 'demo-hello'
const WAIT_MS = Number(process.env.FERRY_DEMO_TIMEOUT || 120) * 1000
const env = {...process.env, GIT_TERMINAL_PROMPT: '0'}
// `npm run` adds npm_* variables (npm_config_*, npm_lifecycle_*…): keep them out of the platform the CLI autostarts,
// so it runs (and builds) with the same environment as when started from a shell. NODE_EXTRA_CA_CERTS etc. stay.
for (const key of Object.keys(env)) if (key.startsWith('npm_') || key === 'INIT_CWD') delete env[key]

const bold = process.stderr.isTTY && !process.env.NO_COLOR
const say = line => process.stderr.write(bold ? `\u001B[1m==> ${line}\u001B[0m\n` : `==> ${line}\n`)

function fail(message) {
  process.stderr.write(`demo: ${message}\n`)
  process.exit(1)
}

/** Runs `ferry ARGS`; output captured (stderr passed through when `show`); throws on a non-zero exit. */
function ferry(args, {allowFail = false, cwd = ROOT, show = false} = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', show ? 'inherit' : 'pipe']})
  if (result.status !== 0 && !allowFail) fail(`\`ferry ${args.join(' ')}\` failed (exit ${result.status}):\n${result.stderr ?? ''}${result.stdout}`)
  return result
}

function git(args, cwd) {
  execFileSync('git', args, {cwd, env, stdio: ['ignore', 'ignore', 'inherit']})
}

/** GET / through the router with Host: APP.localhost (no reliance on *.localhost resolving). */
function viaRouter(routerPort) {
  return new Promise(resolve => {
    const req = http.request({headers: {Host: `${APP}.localhost`}, host: '127.0.0.1', path: '/', port: routerPort, timeout: 10_000}, res => {
      let body = ''
      res.setEncoding('utf8').on('data', d => {
        body += d
      })
      res.on('end', () => resolve({body, status: res.statusCode ?? 0}))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', error => resolve({body: error.message, status: 0}))
    req.end()
  })
}

function demoDir() {
  const base = process.env.FERRY_HOME
    ? path.join(process.env.FERRY_HOME, 'demo')
    : path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'ferry-demo')
  return path.join(base, 'node-hello')
}

/** The git-tracked files of examples/node-hello (no node_modules), else everything but node_modules. */
function exampleFiles() {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '.'], {cwd: EXAMPLE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    const files = out.split('\0').filter(Boolean)
    if (files.length > 0) return files
  } catch {}

  return fs.readdirSync(EXAMPLE, {recursive: true, withFileTypes: true})
    .filter(e => e.isFile())
    .map(e => path.relative(EXAMPLE, path.join(e.parentPath ?? e.path, e.name)))
    .filter(f => !f.split(path.sep).includes('node_modules'))
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'commands')) || !fs.existsSync(path.join(ROOT, 'oclif.manifest.json'))) {
    say('Building ferry (npm run build)')
    const built = spawnSync('npm', ['run', 'build'], {cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit']})
    if (built.status !== 0) fail('npm run build failed')
  }

  say('Starting the local platform (if it is not running yet)')
  ferry(['apps', '--json'], {show: true})
  const status = JSON.parse(ferry(['platform:status', '--json']).stdout)
  if (!status.running) fail('the local platform is not running; see `ferry platform:status`')

  const apps = JSON.parse(ferry(['apps', '--json']).stdout)
  if (apps.some(a => a.name === APP)) {
    say(`Destroying the previous ${APP} (the demo starts from scratch every time)`)
    ferry(['apps:destroy', APP, '--confirm', APP])
  }

  const dir = demoDir()
  say(`Copying examples/node-hello to ${dir} and committing it`)
  fs.rmSync(dir, {force: true, recursive: true})
  fs.mkdirSync(dir, {recursive: true})
  for (const file of exampleFiles()) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    fs.copyFileSync(path.join(EXAMPLE, file), path.join(dir, file))
  }

  git(['init', '-q', '-b', 'main'], dir)
  git(['add', '.'], dir)
  const who = spawnSync('git', ['config', 'user.email'], {cwd: dir, encoding: 'utf8', env})
  const identity = who.stdout.trim() ? [] : ['-c', 'user.name=ferry demo', '-c', 'user.email=demo@ferry.local']
  git([...identity, 'commit', '-q', '-m', 'node-hello (ferry demo)'], dir)

  say(`Creating the app ${APP} (adds the \`ferry\` git remote)`)
  ferry(['apps:create', APP], {cwd: dir, show: true})

  say('Deploying: git push ferry main')
  const push = await new Promise(resolve => {
    const child = spawn('git', ['push', 'ferry', 'main'], {cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit']})
    child.on('error', error => resolve({code: 1, error}))
    child.on('close', code => resolve({code}))
  })
  if (push.code !== 0) fail(`git push ferry main failed (exit ${push.code}); see the build output above or \`ferry builds:output -a ${APP}\``)

  say('Scaling to web=2 worker=1')
  process.stderr.write(ferry(['ps:scale', 'web=2', 'worker=1', '-a', APP], {show: true}).stdout)

  const {routerPort} = JSON.parse(ferry(['platform:status', '--json']).stdout)
  say(`Waiting until web.1 and web.2 answer through the router (port ${routerPort})`)
  const seen = new Set()
  const deadline = Date.now() + WAIT_MS
  let last = ''
  while (seen.size < 2) {
    if (Date.now() > deadline) fail(`the web dynos did not all answer within ${WAIT_MS / 1000} s (seen: ${[...seen].join(', ') || 'none'}; last: ${last}); see \`ferry logs -a ${APP}\``)
    const got = await viaRouter(routerPort)
    last = `${got.status} ${got.body.trim()}`
    if (got.status === 200) {
      try {
        const dyno = JSON.parse(got.body).dyno
        if (dyno) seen.add(dyno)
      } catch {}
    }

    if (seen.size < 2) await new Promise(r => setTimeout(r, 300))
  }

  // `ferry ps` right after the dynos answered: wait (briefly) for worker.1 to be up too.
  let ps = ''
  for (let i = 0; i < 20; i++) {
    const dynos = JSON.parse(ferry(['ps', '--json', '-a', APP]).stdout)
    ps = ferry(['ps', '-a', APP]).stdout
    if (dynos.length >= 3 && dynos.every(d => d.state === 'up')) break
    await new Promise(r => setTimeout(r, 500))
  }

  const url = `http://${APP}.localhost:${routerPort}/`
  const next = [
    [`alias ferry="node ${BIN}"`, 'or `npm link` once, for a ferry command everywhere'],
    ...(process.env.FERRY_HOME ? [[`export FERRY_HOME=${process.env.FERRY_HOME}`, 'the demo used this FERRY_HOME']] : []),
    [`curl ${url}`, ''],
    [`cd ${dir}`, "the app's repository: commands find the app by its `ferry` remote"],
    ['ferry logs --tail', 'follow the logs (Ctrl-C stops)'],
    ['ferry config:add GREETING=Howdy', 'a new release; the dynos restart'],
    ['ferry releases && ferry rollback', ''],
    ['ferry run node -v', 'a one-off dyno'],
    ['git commit -am "…" && git push ferry main', 'deploy a change'],
    ['ferry platform:stop', 'stop the local platform and its dynos'],
  ]
  const width = Math.min(48, Math.max(...next.map(([command]) => command.length)))
  const out = [
    '',
    `${APP} is running at ${url}`,
    `  (answered by ${[...seen].sort().join(' and ')}: ${last.replace(/^200 /, '')})`,
    '',
    `$ ferry ps -a ${APP}`,
    ps.trimEnd(),
    '',
    'Next:',
    ...next.map(([command, note]) => (note ? `  ${command.padEnd(width)}  # ${note}` : `  ${command}`)),
    '',
    'The README walks through all of it step by step.',
    '',
  ]
  process.stdout.write(out.join('\n'))
}

main().catch(error => fail(error instanceof Error ? error.stack ?? error.message : String(error)))
