// `action` is oclif's ux.action: each case runs in a child process so oclif sees a real stderr (a pipe, or a
// terminal through `script`) and picks its renderer the way it does for a user.
import {execFileSync, spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

const output = fileURLToPath(new URL('../../src/cli/output.ts', import.meta.url))

const SCENARIOS: Record<string, string> = {
  begin: "const up = beginAction('Running echo hi on demo'); await new Promise(r => setTimeout(r, 50)); up('up, run.1'); process.stdout.write('hi\\n')",
  fail: "await action('Creating x', async () => { throw new Error('nope') }).catch(() => {})",
  notice: "await action('Creating demo', async () => notice('Started local platform at http://127.0.0.1:1')); notice('plain')",
  status: "await action('Scaling dynos', async () => 2, n => 'now running web at ' + n + ':Basic')",
  stdout: "await action('Setting A', async () => { process.stdout.write('held\\n'); await new Promise(r => setTimeout(r, 300)) })",
}

const script = (name: string) => `const {action, beginAction, notice} = await import(${JSON.stringify(output)}); ${SCENARIOS[name]}`

/** The child's stderr with stderr a pipe (what tests, CI and `2>file` see). */
function piped(name: string, env: NodeJS.ProcessEnv = {}): {stderr: string; stdout: string} {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(name)], {
    encoding: 'utf8',
    env: {...process.env, CI: '', FORCE_COLOR: '0', NO_COLOR: '1', ...env},
  })
  expect(r.status, r.stderr).toBe(0)
  return {stderr: r.stderr, stdout: r.stdout}
}

describe('action (oclif ux.action) in a pipe: the Heroku CLI lines', () => {
  it('writes "Message... done, status"', () => {
    expect(piped('status').stderr).toBe('Scaling dynos... done, now running web at 2:Basic\n')
  })

  it('writes "Message... !" when the work throws', () => {
    expect(piped('fail').stderr).toBe('Creating x... !\n')
  })

  it('a notice during an action comes on its own line and the action line is repeated after it', () => {
    expect(piped('notice').stderr).toBe('Creating demo...\nStarted local platform at http://127.0.0.1:1\nCreating demo... done\nplain\n')
  })

  it('an action begun in one place ends in another (ferry run: at the first output of the dyno)', () => {
    expect(piped('begin')).toEqual({stderr: 'Running echo hi on demo... up, run.1\n', stdout: 'hi\n'})
  })

  it('stdout written during the action still arrives', () => {
    const {stderr, stdout} = piped('stdout')
    expect(stderr).toBe('Setting A... done\n')
    expect(stdout).toBe('held\n')
  })
})

describe('action on a terminal', () => {
  it('spins (oclif spinner) and leaves "Message... done" as the last frame', () => {
    // util-linux `script` gives the child a pseudo-terminal; its transcript is what the user saw.
    execFileSync('script', ['--version'], {stdio: 'ignore'})
    const command = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script('stdout')].map(a => `'${a.replaceAll("'", String.raw`'\''`)}'`).join(' ')
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      env: {...process.env, CI: '', FORCE_COLOR: '0', NO_COLOR: '1', TERM: 'xterm'},
    })
    expect(r.status, r.stderr).toBe(0)
    const frames = r.stdout.match(/Setting A\.\.\. \S+/g) ?? []
    expect(frames.length).toBeGreaterThan(1)
    expect(frames.at(-1)).toBe('Setting A... done')
    // The cursor goes back over the spinner line (ansi cursor up) instead of printing a line per frame.
    expect(r.stdout).toContain('\u001B[1A')
    expect(r.stdout).toContain('held')
  })
})
