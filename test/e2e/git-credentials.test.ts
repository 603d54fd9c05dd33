// e2e: git's credential helper (`ferry git:credentials`, set up by `ferry create`): the token goes only to the running
// daemon itself (never to whatever listens on the port of a stale daemon.json), and it is answered without oclif.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ferryEnv, makeFerryHome, readDaemonJson, readToken, removeFerryHome, runCommand, runFerry} from '../helpers/index.js'

const home = makeFerryHome()
const repo = path.join(home, 'repo')
const daemonJson = path.join(home, 'data', 'run', 'daemon.json')
const oclifLog = path.join(home, 'oclif-modules.log')
const children: number[] = []

/** `ferry git:credentials <operation>` as git runs it: one request on stdin. */
const helper = (operation: string, host: string, env: NodeJS.ProcessEnv = {}) => runFerry(['git:credentials', operation], {env, home, input: `protocol=http\nhost=${host}\n\n`})
const git = (...args: string[]) => runCommand('git', ['-C', repo, ...args], {env: ferryEnv(home)})

/** NODE_OPTIONS that make node log (to oclifLog) every module it resolves under @oclif/. */
function oclifWatch(): NodeJS.ProcessEnv {
  const hooks = path.join(home, 'hooks.mjs')
  fs.writeFileSync(hooks, [
    "import fs from 'node:fs'",
    'export async function resolve(specifier, context, next) {',
    '  const resolved = await next(specifier, context)',
    `  if (resolved.url.includes('/@oclif/')) fs.appendFileSync(${JSON.stringify(oclifLog)}, resolved.url + '\\n')`,
    '  return resolved',
    '}',
  ].join('\n'))
  const register = path.join(home, 'register.mjs')
  fs.writeFileSync(register, `import {register} from 'node:module'\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)})\n`)
  return {NODE_OPTIONS: `--import=${register}`}
}

const oclifLoaded = () => (fs.existsSync(oclifLog) ? fs.readFileSync(oclifLog, 'utf8').split('\n').filter(Boolean) : [])

describe('git credential helper', () => {
  let host: string

  beforeAll(async () => {
    fs.mkdirSync(repo)
    expect((await runCommand('git', ['init', '-q', repo], {env: ferryEnv(home)})).code).toBe(0)
    const created = await runFerry(['create', 'creds'], {cwd: repo, home})
    expect(created.code, created.stderr).toBe(0)
    host = new URL(readDaemonJson(home)!.url).host
  })

  afterAll(async () => {
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }

    await removeFerryHome(home)
  })

  it('answers get with the token for the daemon, the same with and without oclif, and loads no oclif module', async () => {
    const token = readToken(home)
    const expected = `protocol=http\nhost=${host}\nusername=ferry\npassword=${token}\n`
    const watch = oclifWatch()
    const fast = await helper('get', host, watch)
    expect(fast.code, fast.stderr).toBe(0)
    expect(fast.stdout).toBe(expected)
    for (const operation of ['store', 'erase']) {
      const other = await helper(operation, host, watch)
      expect(other.code, other.stderr).toBe(0)
      expect(other.stdout).toBe('')
    }

    expect((await helper('get', 'github.com', watch)).stdout).toBe('')
    expect(oclifLoaded()).toEqual([])
    // The watch sees oclif when it runs (the same answer from the command itself):
    const viaOclif = await helper('get', host, {...watch, FERRY_NO_FAST_PATH: '1'})
    expect(viaOclif.stdout).toBe(expected)
    expect(oclifLoaded().length).toBeGreaterThan(0)
    // git itself uses it: the remote and helper `ferry create` configured work.
    const listed = await git('ls-remote', 'ferry')
    expect(listed.code, listed.stderr).toBe(0)
  })

  it('gives nothing when daemon.json is stale and another process listens on its port: git never sends the token there', async () => {
    const token = readToken(home)
    const stale = fs.readFileSync(daemonJson, 'utf8')
    const {port} = JSON.parse(stale) as {port: number}
    expect((await runFerry(['platform:stop'], {home})).code).toBe(0)
    // A rogue server takes the freed port and asks for credentials; then the daemon's discovery file is back (a crash
    // leaves it behind).
    const seen: string[] = []
    const rogue = http.createServer((req, res) => {
      seen.push(req.headers.authorization ?? '')
      res.writeHead(401, {'www-authenticate': 'Basic realm="ferry"'}).end()
    })
    await new Promise<void>(resolve => rogue.listen(port, '127.0.0.1', resolve))
    try {
      fs.writeFileSync(daemonJson, stale)
      expect((await helper('get', host)).stdout).toBe('')
      expect((await helper('get', host, {FERRY_NO_FAST_PATH: '1'})).stdout).toBe('')

      const pushed = await git('ls-remote', 'ferry')
      expect(pushed.code).not.toBe(0)
      expect(seen.length).toBeGreaterThan(0) // git did reach the rogue…
      expect(seen.filter(Boolean)).toEqual([]) // …and never sent it credentials
      expect(seen.join(' ')).not.toContain(Buffer.from(`ferry:${token}`).toString('base64'))

      // The pid of daemon.json alive (another process got it) is not enough either: the listener is not that process.
      const other = spawn('sleep', ['60'], {stdio: 'ignore'})
      children.push(other.pid!)
      fs.writeFileSync(daemonJson, JSON.stringify({...JSON.parse(stale), pid: other.pid, pidStart: undefined}))
      expect((await helper('get', host)).stdout).toBe('')
    } finally {
      fs.rmSync(daemonJson, {force: true})
      await new Promise(resolve => rogue.close(resolve))
    }
  })
})
