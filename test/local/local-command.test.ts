// Integration: the built CLI (`node bin/run.js local`) with real processes. Needs `npm run build` (npm test does it).
import {createServer, Server} from 'node:net'
import {rm} from 'node:fs/promises'
import path from 'node:path'
import {afterEach, beforeAll, describe, expect, it} from 'vitest'

import {alive, assertBuilt, freeBase, killPids, killStarted, makeApp, readPids, ROOT, runFerry, sleep, startFerry} from './helpers.js'

describe('ferry local (integration)', () => {
  // A test process: records its pid and a grandchild's pid, reports its environment, then serves/idles/fails.
  const PROC = `
  import {spawn} from 'node:child_process'
  import {appendFileSync} from 'node:fs'
  import http from 'node:http'
  const [mode = 'serve', arg] = process.argv.slice(2)
  const e = process.env
  appendFileSync('pids.txt', process.pid + '\\n')
  const grandchild = mode === 'stubborn'
    ? spawn('sh', ['-c', 'trap "" TERM; while true; do sleep 1; done'], {stdio: 'inherit'})
    : spawn('sleep', ['300'], {stdio: 'ignore'})
  appendFileSync('pids.txt', grandchild.pid + '\\n')
  console.log('env PORT=' + e.PORT + ' DYNO=' + e.DYNO + ' FOREMAN_WORKER_NAME=' + e.FOREMAN_WORKER_NAME +
    ' GREETING=' + JSON.stringify(e.GREETING) + ' FROM_CALLER=' + e.FROM_CALLER + ' OVERRIDDEN=' + e.OVERRIDDEN)
  console.error('stderr line from ' + e.DYNO)
  if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'))
  if (mode === 'fail') setTimeout(() => process.exit(Number(arg)), 300)
  if (mode === 'serve') {
    http.createServer((req, res) => res.end('hello from ' + e.DYNO)).listen(Number(e.PORT), () => console.log('ready ' + e.DYNO))
  } else {
    setInterval(() => {}, 1000)
    console.log('ready ' + e.DYNO)
  }
  `

  const dirs: string[] = []
  const pidFiles: string[] = []

  async function app(files: Record<string, string>): Promise<string> {
    const dir = await makeApp({'proc.mjs': PROC, ...files})
    dirs.push(dir)
    pidFiles.push(path.join(dir, 'pids.txt'))
    return dir
  }

  /** Pids of the `/bin/sh -c` leaders ferry reported, plus the ones the processes recorded themselves. */
  function allPids(stdout: string, dir: string): number[] {
    const leaders = [...stdout.matchAll(/Starting process with command .* \(pid (\d+),/g)].map(m => Number(m[1]))
    return [...leaders, ...readPids(path.join(dir, 'pids.txt'))]
  }

  /** Waits a little for the kernel to finish reaping, then lists pids still alive. */
  async function survivors(pids: number[]): Promise<number[]> {
    for (let i = 0; i < 20 && pids.some(p => alive(p)); i++) await sleep(100)
    return pids.filter(p => alive(p))
  }

  function line(name: string, text: string): RegExp {
    const escaped = text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
    return new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${name.replace('.', '\\.')} +\\| ${escaped}$`, 'm')
  }

  beforeAll(() => {
    assertBuilt()
  })

  afterEach(async () => {
    killStarted()
    for (const file of pidFiles.splice(0)) killPids(readPids(file))
    for (const dir of dirs.splice(0)) await rm(dir, {force: true, recursive: true})
  })

  describe('ferry local', () => {
    it('starts the formation with prefixed output, heroku-local PORTs, .env overlay, and cleans up every pid on Ctrl-C', async () => {
      const dir = await app({
        '.env': '# local settings\nexport GREETING="hello\nmulti-line"\nOVERRIDDEN=from-env-file # wins over the caller\n',
        Procfile: 'web: node proc.mjs serve\nworker: node proc.mjs idle\nrelease: echo never run by ferry local\n',
      })
      const base = await freeBase()
      const ferry = startFerry(['local', '-m', 'web=2,worker=1', '-p', String(base)], {
        cwd: dir,
        detached: true,
        env: {FROM_CALLER: 'caller', NO_COLOR: undefined, OVERRIDDEN: 'caller'},
      })
      for (const name of ['web.1', 'web.2', 'worker.1']) {
        await ferry.waitFor(line(name, `ready ${name}`))
        await ferry.waitFor(line(name, `stderr line from ${name}`)) // stderr is another pipe: it may come after stdout
      }

      const out = ferry.stdout()
      const expectEnv = (name: string, port: number) =>
        expect(out).toMatch(line(name, `env PORT=${port} DYNO=${name} FOREMAN_WORKER_NAME=${name} GREETING="hello\\nmulti-line" FROM_CALLER=caller OVERRIDDEN=from-env-file`))
      expectEnv('web.1', base)
      expectEnv('web.2', base + 1)
      expectEnv('worker.1', base + 100)
      // Names are padded to the longest ("worker.1"); stderr is included; no colour on a pipe; release is not started.
      expect(out).toMatch(/^\d\d:\d\d:\d\d web\.1 {4}\| stderr line from web\.1$/m)
      expect(out).toMatch(line('worker.1', 'stderr line from worker.1'))
      expect(out).not.toContain('\u001B[')
      expect(out).not.toContain('never run')
      expect(ferry.stderr()).toContain('Loaded 2 variables from .env')
      expect(await (await fetch(`http://127.0.0.1:${base + 1}/`)).text()).toBe('hello from web.2')

      const pids = allPids(out, dir)
      expect(pids.length).toBe(9) // 3 shells, 3 processes, 3 grandchildren
      expect(pids.every(p => alive(p))).toBe(true)

      // Like Ctrl-C at a terminal: SIGINT to ferry's whole foreground process group.
      process.kill(-ferry.child.pid!, 'SIGINT')
      const {code} = await ferry.exited
      expect(code).toBe(0)
      expect(ferry.stdout()).toMatch(line('system', 'Received SIGINT'))
      expect(ferry.stdout()).toMatch(line('system', 'Stopping all processes with SIGTERM'))
      expect(await survivors(pids)).toEqual([])
    })

    it('escalates to SIGKILL after --timeout for processes that ignore SIGTERM (SIGTERM to ferry)', async () => {
      const dir = await app({Procfile: 'web: node proc.mjs stubborn\n'})
      const base = await freeBase()
      const ferry = startFerry(['local', '--timeout', '1', '-p', String(base)], {cwd: dir})
      await ferry.waitFor(/\| ready web\.1$/m)
      const pids = allPids(ferry.stdout(), dir)
      expect(pids.length).toBe(3)

      ferry.child.kill('SIGTERM')
      const {code} = await ferry.exited
      expect(code).toBe(0)
      expect(ferry.stdout()).toMatch(line('web.1', 'ignoring SIGTERM'))
      expect(ferry.stdout()).toMatch(line('system', 'Some processes did not exit within 1s of SIGTERM; sending SIGKILL'))
      expect(await survivors(pids)).toEqual([])
    })

    it('a second Ctrl-C sends SIGKILL at once instead of waiting for --timeout', async () => {
      const dir = await app({Procfile: 'web: node proc.mjs stubborn\n'})
      const ferry = startFerry(['local', '--timeout', '300', '-p', String(await freeBase())], {cwd: dir})
      await ferry.waitFor(/\| ready web\.1$/m)
      const pids = allPids(ferry.stdout(), dir)
      ferry.child.kill('SIGINT')
      await ferry.waitFor(line('web.1', 'ignoring SIGTERM'))
      ferry.child.kill('SIGINT')
      expect((await ferry.exited).code).toBe(0)
      expect(ferry.stdout()).toMatch(line('system', 'Received SIGINT again; sending SIGKILL to all processes'))
      expect(await survivors(pids)).toEqual([])
    })

    it('colours the prefixes when forced (FORCE_COLOR), even on a pipe', async () => {
      const dir = await app({Procfile: 'web: echo plain text\n'})
      const {stdout} = await runFerry(['local', '-p', String(await freeBase())], {cwd: dir, env: {FORCE_COLOR: '1', NO_COLOR: undefined}})
      expect(stdout).toMatch(/^\u001B\[36m\d\d:\d\d:\d\d web\.1 {2}\|\u001B\[0m plain text$/m)
    })

    it('stops the others when one process exits and exits with its code', async () => {
      const dir = await app({Procfile: 'web: node proc.mjs serve\nworker: node proc.mjs fail 3\n'})
      const base = await freeBase()
      const {code, stdout} = await runFerry(['local', '-p', String(base)], {cwd: dir})
      expect(code).toBe(3)
      expect(stdout).toMatch(line('worker.1', 'Exited with exit code 3'))
      expect(stdout).toMatch(line('system', 'worker.1 exited; stopping all processes'))
      expect(stdout).toMatch(/web\.1 +\| Exited with signal SIGTERM$/m)
      expect(await survivors(allPids(stdout, dir))).toEqual([])
    })

    it('--restart restarts the dead process with backoff and keeps the others running', async () => {
      const dir = await app({Procfile: 'web: node proc.mjs serve\nworker: node proc.mjs fail 2\n'})
      const base = await freeBase()
      const ferry = startFerry(['local', '--restart', '-p', String(base)], {cwd: dir})
      await ferry.waitFor(/worker\.1 +\| Exited with exit code 2; restarting in 2s \(restart 2\)$/m)
      const out = ferry.stdout()
      expect(out).toMatch(line('worker.1', 'Exited with exit code 2; restarting in 1s (restart 1)'))
      expect(out.match(/worker\.1 +\| Starting process/g)!.length).toBeGreaterThanOrEqual(2)
      expect(out.match(/web\.1 +\| Starting process/g)!.length).toBe(1)
      expect(out).not.toMatch(/web\.1 +\| Exited/)
      expect(await (await fetch(`http://127.0.0.1:${base}/`)).text()).toBe('hello from web.1')

      ferry.child.kill('SIGINT')
      const {code} = await ferry.exited
      expect(code).toBe(0)
      expect(await survivors(allPids(ferry.stdout(), dir))).toEqual([])
    })

    it('runs examples/procfile-worker through -f, in the Procfile directory', async () => {
      const cwd = await app({})
      const base = await freeBase()
      const ferry = startFerry(['local', '-f', path.join(ROOT, 'examples/procfile-worker/Procfile'), '-p', String(base)], {cwd})
      await ferry.waitFor(line('web.1', `web listening on ${base}`))
      await ferry.waitFor(/^\d\d:\d\d:\d\d worker\.1 \| worker tick \d\d:\d\d:\d\d pid \d+$/m)
      expect(await (await fetch(`http://127.0.0.1:${base}/`)).text()).toMatch(/^ok from web\.1 \(pid \d+\)\n$/)
      ferry.child.kill('SIGINT')
      expect((await ferry.exited).code).toBe(0)
      expect(await survivors(allPids(ferry.stdout(), cwd))).toEqual([])
    })

    it('exits even when a process escaped its group (setsid) and still holds the output pipe', async () => {
      const dir = await app({Procfile: 'web: setsid sh -c \'echo $$ >> pids.txt; echo escaped; exec sleep 120\' & sleep 300\n'})
      const ferry = startFerry(['local', '-p', String(await freeBase())], {cwd: dir})
      await ferry.waitFor(line('web.1', 'escaped'))
      ferry.child.kill('SIGINT')
      expect((await ferry.exited).code).toBe(0)
      // Not ferry's to kill (it left the group on purpose); afterEach removes it.
      expect(readPids(path.join(dir, 'pids.txt')).some(p => alive(p))).toBe(true)
    })

    it('--start-cmd runs web when there is no Procfile', async () => {
      const dir = await app({})
      const base = await freeBase()
      const ferry = startFerry(['local', '--start-cmd', 'node proc.mjs serve', '-p', String(base)], {cwd: dir})
      await ferry.waitFor(/\| ready web\.1$/m)
      expect(ferry.stdout()).toMatch(line('web.1', `env PORT=${base} DYNO=web.1 FOREMAN_WORKER_NAME=web.1 GREETING=undefined FROM_CALLER=undefined OVERRIDDEN=undefined`))
      ferry.child.kill('SIGINT')
      expect((await ferry.exited).code).toBe(0)
    })
  })

  describe('ferry local bad input (exit 1, one line on stderr, nothing started)', () => {
    async function expectInputError(files: Record<string, string>, args: string[], message: RegExp) {
      const dir = await app(files)
      const {code, stderr, stdout} = await runFerry(['local', ...args], {cwd: dir})
      expect(stderr).toMatch(message)
      expect(stderr.trim().split('\n').filter(l => l.includes('Error')).length).toBe(1)
      expect(stdout).not.toContain('Starting process')
      expect(code).toBe(1)
    }

    it('missing Procfile', async () => {
      await expectInputError({}, [], /^ › {3}Error: No Procfile found at Procfile\. Create one/m)
      await expectInputError({}, ['-f', 'nested/Procfile'], /No Procfile found at nested\/Procfile/)
    })

    it('malformed Procfile line names file:line', async () => {
      await expectInputError({Procfile: 'web: node proc.mjs\n# comment\nworker node proc.mjs\n'}, [], /Error: Procfile:3: malformed line "worker node proc\.mjs"/)
    })

    it('unknown process type', async () => {
      await expectInputError({Procfile: 'web: x\nworker: y\n'}, ['web', 'wrker=2'], /Error: Unknown process type "wrker"; the Procfile defines: web, worker\./)
    })

    it('bad .env line names file:line', async () => {
      await expectInputError({'.env': 'A=1\n\nNOT AN ASSIGNMENT\n', Procfile: 'web: x\n'}, [], /Error: \.env:3: expected KEY=value, got "NOT AN ASSIGNMENT"/)
      await expectInputError({'other.env': 'B="open\n', Procfile: 'web: x\n'}, ['-e', 'other.env'], /Error: other\.env:1: the value of B opens a double quote/)
      await expectInputError({Procfile: 'web: x\n'}, ['-e', 'missing.env'], /Error: Env file missing\.env not found/)
    })

    it('port in use names the port', async () => {
      const base = await freeBase()
      const server: Server = createServer()
      await new Promise<void>(resolve => server.listen(base + 1, '127.0.0.1', resolve))
      try {
        await expectInputError({Procfile: 'web: node proc.mjs serve\n'}, ['web=2', '-p', String(base)], new RegExp(`Error: Port ${base + 1} is already in use \\(needed by web\\.2\\)`))
      } finally {
        server.close()
      }
    })

    it('invalid port and selection syntax', async () => {
      await expectInputError({Procfile: 'web: x\n'}, ['-p', '80'], /Error: Invalid port "80" from --port/)
      await expectInputError({Procfile: 'web: x\n'}, ['web=two'], /Error: Invalid process selection "web=two"/)
    })
  })

  describe('ferry local:run', () => {
    it('runs one command with the .env environment and PORT, and passes its exit code through', async () => {
      const dir = await app({'.env': 'GREETING="hi\nthere"\nPORT=7777\n', Procfile: 'web: x\n'})
      const ok = await runFerry(['local:run', 'echo "$GREETING|$PORT|$FROM_CALLER"'], {cwd: dir, env: {FROM_CALLER: 'caller'}})
      expect(ok.stdout).toBe('hi\nthere|7777|caller\n')
      expect(ok.code).toBe(0)

      const failing = await runFerry(['local:run', '-p', '6000', '--', 'sh', '-c', 'echo $PORT; exit 4'], {cwd: dir})
      expect(failing.stdout).toBe('6000\n')
      expect(failing.code).toBe(4)

      const bad = await runFerry(['local:run', 'true'], {cwd: await app({'.env': 'oops\n'})})
      expect(bad.stderr).toMatch(/Error: \.env:1: expected KEY=value, got "oops"/)
      expect(bad.code).toBe(1)
    })
  })
})
