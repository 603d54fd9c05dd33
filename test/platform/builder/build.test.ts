import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {type BuildOptions, buildSlug, NO_BUILDPACK_MESSAGE} from '../../../src/platform/builder/index.js'

let root: string

function source(files: Record<string, string>, dir = join(root, 'work', 'app')): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), {recursive: true})
    writeFileSync(join(dir, name), content)
  }

  return dir
}

function options(extra: Partial<BuildOptions> = {}): BuildOptions & {lines: string[]} {
  const lines: string[] = []
  mkdirSync(join(root, 'work', 'app'), {recursive: true})
  return {
    buildpacks: [],
    cacheDir: join(root, 'cache'),
    configVars: {},
    isolation: 'none',
    lines,
    onOutput: line => lines.push(line),
    slugPath: join(root, 'slug.tgz'),
    sourceVersion: 'abc123',
    timeoutMs: 60_000,
    workDir: join(root, 'work'),
    ...extra,
  }
}

function slugFiles(path: string): string[] {
  return execFileSync('tar', ['-tzf', path], {encoding: 'utf8'}).trim().split('\n').sort()
}

function buildpackFixture(dir: string, scripts: Partial<Record<'compile' | 'detect' | 'release', string>>, exportText?: string): string {
  mkdirSync(join(dir, 'bin'), {recursive: true})
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, 'bin', name), `#!/usr/bin/env bash\nset -e\n${body}\n`)
    chmodSync(join(dir, 'bin', name), 0o755)
  }

  if (exportText !== undefined) writeFileSync(join(dir, 'export'), exportText)
  return dir
}

describe('buildSlug', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ferry-build-'))
  })

  afterEach(() => {
    rmSync(root, {force: true, recursive: true})
  })

  it('builds a Procfile-only app into a slug under ./app with checksum and process types', async () => {
    source({Procfile: 'web: ./run.sh\r\nworker: sleep 1000\n', 'run.sh': 'echo hi\n'})
    const opts = options()
    const result = await buildSlug(opts)
    expect(result.processTypes).toEqual({web: './run.sh', worker: 'sleep 1000'})
    expect(result.buildpackDescription).toBe('Procfile')
    expect(result.checksum).toMatch(/^SHA256:[\da-f]{64}$/)
    expect(result.size).toBeGreaterThan(0)
    const sha = execFileSync('sha256sum', [opts.slugPath], {encoding: 'utf8'}).split(' ')[0]
    expect(result.checksum).toBe(`SHA256:${sha}`)
    expect(slugFiles(opts.slugPath)).toEqual(['./app/', './app/Procfile', './app/run.sh'])
    expect(opts.lines[0]).toBe('-----> Building on the ferry platform')
    expect(opts.lines).toContain('-----> Procfile app detected')
    expect(opts.lines).toContain('       Procfile declares types     -> web, worker')
  })

  it('applies .slugignore before buildpacks run', async () => {
    source({
      '.slugignore': '# comment\n*.psd\n/docs\ntmp/\n',
      Procfile: 'web: x',
      'a/b/big.psd': 'x',
      'docs/readme.md': 'x',
      'keep/docs/kept.md': 'x',
      'keep/tmp/y': 'x',
    })
    const opts = options()
    await buildSlug(opts)
    const files = slugFiles(opts.slugPath)
    expect(files).toContain('./app/keep/docs/kept.md')
    expect(files.some(f => f.endsWith('.psd'))).toBe(false)
    expect(files).not.toContain('./app/docs/readme.md')
    expect(files.some(f => f.includes('/tmp/'))).toBe(false)
    expect(opts.lines.some(l => /Deleting 3 files matching \.slugignore/.test(l))).toBe(true)
  })

  it('fails with the detection message and its fix when nothing matches', async () => {
    source({'README.md': 'nothing to run'})
    const opts = options()
    await expect(buildSlug(opts)).rejects.toThrow(/No default language could be detected for this app/)
    expect(opts.lines.at(-1)).toBe(` !     ${NO_BUILDPACK_MESSAGE}`)
    expect(NO_BUILDPACK_MESSAGE).toMatch(/buildpacks:set/)
  })

  it('rejects an invalid Procfile with the line number', async () => {
    source({Procfile: 'web: ok\nweb: again\n'})
    await expect(buildSlug(options())).rejects.toThrow(/Procfile line 2/)
  })

  it('serves a static site with the bundled server and defaults web', async () => {
    source({'public/index.html': '<h1>hi</h1>'})
    const opts = options()
    const result = await buildSlug(opts)
    expect(result.processTypes).toEqual({web: 'node .ferry/static-server.mjs public'})
    expect(result.defaultProcessTypes).toEqual(result.processTypes)
    expect(slugFiles(opts.slugPath)).toContain('./app/.ferry/static-server.mjs')
    expect(opts.lines).toContain('-----> Static HTML app detected')
  })

  it('builds a Node.js app without dependencies: build script, npm start default, cache dir', async () => {
    source({
      'package.json': JSON.stringify({engines: {node: '>=99'}, name: 'x', scripts: {build: 'echo built > built.txt', start: 'node index.js'}, version: '1.0.0'}),
    })
    const opts = options()
    const result = await buildSlug(opts)
    expect(result.processTypes).toEqual({web: 'npm start'})
    expect(result.buildpackDescription).toBe('Node.js')
    const files = slugFiles(opts.slugPath)
    expect(files).toContain('./app/built.txt')
    expect(files).toContain('./app/.profile.d/nodejs.sh')
    expect(existsSync(join(root, 'cache', 'npm'))).toBe(true)
    expect(opts.lines).toContain('       Running build')
    expect(opts.lines.some(l => l.includes('Warning: engines.node ">=99"'))).toBe(true)
  })

  it('keeps the Procfile over npm start and fails when the build script fails', async () => {
    source({Procfile: 'web: node a.js', 'package.json': JSON.stringify({name: 'x', scripts: {start: 'node b.js'}})})
    const ok = await buildSlug(options())
    expect(ok.processTypes).toEqual({web: 'node a.js'})
    rmSync(join(root, 'work'), {force: true, recursive: true})
    source({'package.json': JSON.stringify({name: 'x', scripts: {build: 'echo broken >&2; exit 3'}})})
    const opts = options()
    await expect(buildSlug(opts)).rejects.toThrow(/npm run build failed/)
    expect(opts.lines.some(l => l.includes('broken'))).toBe(true)
  })

  it('multi-buildpack as Heroku: each detect runs after the earlier compiles; a local buildpack dir is copied, never written to', async () => {
    // The first buildpack makes the package.json the second one (the built-in Node.js) detects, and writes an
    // `export` file into its own directory as classic buildpacks do.
    const first = buildpackFixture(join(root, 'monorepo'), {
      compile: 'echo \'{"name":"x","version":"1.0.0"}\' > "$1/package.json"\necho "export FROM_FIRST=1" > "$(dirname "$0")/../export"',
      detect: 'echo Monorepo',
    })
    const second = buildpackFixture(join(root, 'bp2'), {compile: 'echo "       FROM_FIRST=$FROM_FIRST"', detect: 'test -f "$1/package.json" && echo Second'})
    source({Procfile: 'web: true'})
    const opts = options({buildpacks: [first, second, 'heroku/nodejs']})
    const result = await buildSlug(opts)
    expect(result.buildpackDescription).toBe('Monorepo, Second, Node.js')
    expect(opts.lines).toContain('       FROM_FIRST=1')
    expect(readdirSync(first).sort()).toEqual(['bin'])
    expect(existsSync(join(root, 'work', 'buildpacks', '0', 'export'))).toBe(true)
  }, 60_000)

  it('runs a classic buildpack through detect, compile (ENV_DIR, CACHE_DIR), export and release', async () => {
    const first = buildpackFixture(
      join(root, 'bp1'),
      {
        compile: [
          'echo "-----> Installing thing"',
          'echo "       env dir has: $(ls "$3" | tr "\\n" " ")"',
          // eslint-disable-next-line no-template-curly-in-string -- shell syntax
          'echo "       GREETING in env: ${GREETING:-unset}"',
          'echo "       STACK=$STACK SOURCE_VERSION=$SOURCE_VERSION"',
          'mkdir -p "$1/.profile.d" && echo "export FROM_BP=1" > "$1/.profile.d/bp.sh"',
          'cat "$3/GREETING" > "$1/greeting.txt"',
          'echo cached > "$2/marker"',
        ].join('\n'),
        detect: 'echo "Fixture"',
        release: "cat <<'YAML'\n---\naddons: []\nconfig_vars:\n  FIXTURE_MODE: \"on\"\ndefault_process_types:\n  web: ./bin/web --port $PORT\n  clock: \"sleep 60\"\nYAML",
      },
      'export FIXTURE_HOME=/opt/fixture\n',
    )
    const second = buildpackFixture(join(root, 'bp2'), {
      compile: 'echo "       FIXTURE_HOME=$FIXTURE_HOME"',
      detect: 'echo Second',
    })
    source({Procfile: 'clock: ./clock'})
    const opts = options({buildpacks: [first, second], configVars: {GREETING: 'hello'}})
    const result = await buildSlug(opts)
    expect(opts.lines).toContain('-----> Fixture app detected')
    expect(opts.lines).toContain('       env dir has: GREETING ')
    expect(opts.lines).toContain('       GREETING in env: unset')
    expect(opts.lines).toContain('       STACK=heroku-24 SOURCE_VERSION=abc123')
    expect(opts.lines).toContain('       FIXTURE_HOME=/opt/fixture')
    expect(result.processTypes).toEqual({clock: './clock', web: './bin/web --port $PORT'})
    expect(result.defaultProcessTypes).toEqual({clock: 'sleep 60', web: './bin/web --port $PORT'})
    expect(result.buildpackDescription).toBe('Fixture, Second')
    expect(readFileSync(join(root, 'cache', 'marker'), 'utf8')).toBe('cached\n')
    const files = slugFiles(opts.slugPath)
    expect(files).toContain('./app/.profile.d/bp.sh')
    expect(files).toContain('./app/.profile.d/000-buildpack-config.sh')
    expect(files).toContain('./app/greeting.txt')
  })

  it('takes a flow-map bin/release, and fails the build on one that is not valid YAML (issue 16)', async () => {
    source({'index.txt': 'no Procfile: the process types come from the buildpack'})
    const flow = buildpackFixture(join(root, 'bp-flow'), {compile: 'true', detect: 'echo Flow', release: "echo 'default_process_types: {web: \"./web -p $PORT\"}'"})
    expect((await buildSlug(options({buildpacks: [flow]}))).processTypes).toEqual({web: './web -p $PORT'})
    const broken = buildpackFixture(join(root, 'bp-broken'), {compile: 'true', detect: 'echo Broken', release: "echo 'default_process_types: {web: ./web'"})
    await expect(buildSlug(options({buildpacks: [broken]}))).rejects.toThrow(/bin\/release printed invalid YAML/)
  })

  it('clones a buildpack from a local git repository (file:// URL)', async () => {
    const dir = buildpackFixture(join(root, 'bp-git'), {compile: 'touch "$1/from-git"', detect: 'echo FromGit'})
    const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, env: {...process.env, GIT_AUTHOR_EMAIL: 'a@b', GIT_AUTHOR_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a'}})
    git('init', '-q', '-b', 'main')
    git('add', '.')
    git('commit', '-qm', 'bp')
    execFileSync('git', ['clone', '-q', '--bare', dir, join(root, 'bp.git')])
    source({Procfile: 'web: x'})
    const opts = options({buildpacks: [`file://${join(root, 'bp.git')}`]})
    await buildSlug(opts)
    expect(slugFiles(opts.slugPath)).toContain('./app/from-git')
  })

  it('fails on a buildpack without bin/compile, a failing detect, or an unknown registry name', async () => {
    source({Procfile: 'web: x'})
    const noCompile = buildpackFixture(join(root, 'bp-nc'), {detect: 'echo X'})
    await expect(buildSlug(options({buildpacks: [noCompile]}))).rejects.toThrow(/has no executable bin\/compile/)
    const noDetect = buildpackFixture(join(root, 'bp-nd'), {compile: 'true', detect: 'exit 1'})
    await expect(buildSlug(options({buildpacks: [noDetect]}))).rejects.toThrow(/App not compatible with buildpack/)
    await expect(buildSlug(options({buildpacks: ['heroku/no-such-language']}))).rejects.toThrow(/not available locally/)
  })

  it('times out a build that runs too long', async () => {
    const slow = buildpackFixture(join(root, 'bp-slow'), {compile: 'sleep 30', detect: 'echo Slow'})
    source({Procfile: 'web: x'})
    const opts = options({buildpacks: [slow], timeoutMs: 500})
    await expect(buildSlug(opts)).rejects.toThrow(/timed out/)
  })

  it('refuses a slug above the size limit', async () => {
    source({Procfile: 'web: x', 'blob.bin': 'x'.repeat(10)})
    writeFileSync(join(root, 'work', 'app', 'random.bin'), execFileSync('head', ['-c', '300000', '/dev/urandom']))
    await expect(buildSlug(options({slugMaxBytes: 100_000}))).rejects.toThrow(/too large/)
  })

  it('never passes the platform token or config vars in the environment, and hides the data dir under bwrap', async () => {
    const dataDir = join(root, 'data')
    mkdirSync(join(dataDir, 'run'), {recursive: true})
    writeFileSync(join(dataDir, 'run', 'token'), 'tok-secret')
    const workDir = join(dataDir, 'builds', 'b1')
    mkdirSync(join(workDir, 'app'), {recursive: true})
    source({Procfile: 'web: x'}, join(workDir, 'app'))
    const bp = buildpackFixture(join(root, 'bp-env'), {
      compile: 'env > "$1/env.txt"; (cat ' + join(dataDir, 'run', 'token') + ' 2>&1 || true) > "$1/token.txt"',
      detect: 'echo Env',
    })
    const lines: string[] = []
    const isolation = existsSync('/usr/bin/bwrap') ? 'bwrap' : 'none'
    await buildSlug({
      buildpacks: [bp],
      cacheDir: join(dataDir, 'cache', 'app1'),
      configVars: {SECRET_CONFIG: 'cfg-value'},
      hideDir: dataDir,
      isolation,
      onOutput: l => lines.push(l),
      parentEnv: {...process.env, FERRY_HOME: root, FERRY_TOKEN: 'tok-secret', OTHER: 'has tok-secret inside', npm_config_cache: '/x'},
      secrets: ['tok-secret'],
      slugPath: join(root, 'slug.tgz'),
      timeoutMs: 60_000,
      workDir,
    })
    const env = readFileSync(join(workDir, 'app', 'env.txt'), 'utf8')
    expect(env).not.toMatch(/tok-secret/)
    expect(env).not.toMatch(/cfg-value|FERRY_HOME/)
    expect(env).toMatch(/^STACK=heroku-24$/m)
    expect(env).toMatch(/^npm_config_cache=\/x$/m)
    if (isolation === 'bwrap') expect(readFileSync(join(workDir, 'app', 'token.txt'), 'utf8')).not.toMatch(/tok-secret/)
  })

  it('under bwrap: /build, /cache, private HOME and /tmp; CA bundles and the npm user config bound read-only; the export file sourced inside; each step in a pids cgroup of 2048 tasks', async () => {
    if (!existsSync('/usr/bin/bwrap')) {
      expect(process.env.CI).not.toBe('true')
      return
    }

    const dataDir = join(root, 'data')
    const workDir = join(dataDir, 'builds', 'b2')
    mkdirSync(join(workDir, 'app'), {recursive: true})
    source({Procfile: 'web: x'}, join(workDir, 'app'))
    const ca = join(root, 'certs', 'extra-ca.pem')
    mkdirSync(join(root, 'certs'))
    writeFileSync(ca, 'CA-PEM\n')
    const userHome = join(root, 'userhome')
    mkdirSync(userHome)
    writeFileSync(join(userHome, '.npmrc'), 'registry=https://registry.example.test/\n')
    const pause = `1.${process.pid}`
    const bp = buildpackFixture(join(root, 'bp-ca'), {
      compile: [
        'cat "$NODE_EXTRA_CA_CERTS" > "$1/ca.txt"',
        '{ echo x >> "$NODE_EXTRA_CA_CERTS"; } 2>/dev/null && echo writable > "$1/ca-w.txt" || true',
        'npm config get registry > "$1/registry.txt"',
        'echo "$HOME $TMPDIR $1 $2 $3" > "$1/paths.txt"',
        `sleep ${pause}`,
      ].join('\n'),
      detect: 'echo CA',
    }, `touch ${join(root, 'export-ran-on-host')} 2>/dev/null || true\n`)
    const build = buildSlug({
      buildpacks: [bp],
      cacheDir: join(dataDir, 'cache', 'app1'),
      configVars: {},
      hideDir: dataDir,
      isolation: 'bwrap',
      onOutput() {},
      parentEnv: {HOME: userHome, NODE_EXTRA_CA_CERTS: ca, PATH: process.env.PATH},
      slugPath: join(root, 'slug.tgz'),
      timeoutMs: 60_000,
      workDir,
    })
    // From the host: the cgroup whose process is this build's `sleep`, and its limit.
    const pidsRoot = '/sys/fs/cgroup/pids/ferry'
    const findCgroup = (): string | undefined => {
      if (!existsSync(pidsRoot)) return undefined
      return readdirSync(pidsRoot).filter(n => n.includes('-build-')).find(n => {
        try {
          return readFileSync(join(pidsRoot, n, 'cgroup.procs'), 'utf8').split('\n').some(pid => pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${pause}\0`)
        } catch {
          return false
        }
      })
    }

    let cgroup: string | undefined
    let max = ''
    const deadline = Date.now() + 20_000
    while (!cgroup && Date.now() < deadline) {
      cgroup = findCgroup()
      if (cgroup) max = readFileSync(join(pidsRoot, cgroup, 'pids.max'), 'utf8').trim()
      else await new Promise(res => setTimeout(res, 50))
    }

    await build
    const app = join(workDir, 'app')
    expect(readFileSync(join(app, 'ca.txt'), 'utf8')).toBe('CA-PEM\n')
    expect(existsSync(join(app, 'ca-w.txt'))).toBe(false)
    expect(readFileSync(ca, 'utf8')).toBe('CA-PEM\n')
    expect(readFileSync(join(app, 'registry.txt'), 'utf8')).toBe('https://registry.example.test/\n')
    expect(readFileSync(join(app, 'paths.txt'), 'utf8')).toBe('/tmp/home /tmp /build/app /cache /build/env\n')
    // The buildpack's export file was sourced in the sandbox, where the host's temp dirs do not exist.
    expect(existsSync(join(root, 'export-ran-on-host'))).toBe(false)
    if (process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/pids/cgroup.procs')) {
      expect(cgroup).toBeDefined()
      expect(max).toBe('2048')
      const gone = Date.now() + 10_000
      while (existsSync(join(pidsRoot, cgroup!)) && Date.now() < gone) await new Promise(res => setTimeout(res, 100))
      expect(existsSync(join(pidsRoot, cgroup!))).toBe(false)
    }
  })

  it('under bwrap: refuses a buildpack directory inside the data dir (never mounted into builds), naming it', async () => {
    const dataDir = join(root, 'data')
    const workDir = join(dataDir, 'builds', 'b3')
    mkdirSync(join(workDir, 'app'), {recursive: true})
    source({Procfile: 'web: x'}, join(workDir, 'app'))
    const bp = buildpackFixture(join(dataDir, 'repos', 'bp'), {compile: 'true', detect: 'echo X'})
    const lines: string[] = []
    await expect(buildSlug({
      buildpacks: [bp],
      cacheDir: join(dataDir, 'cache', 'app1'),
      configVars: {},
      hideDir: dataDir,
      isolation: 'bwrap',
      onOutput: l => lines.push(l),
      slugPath: join(root, 'slug.tgz'),
      timeoutMs: 60_000,
      workDir,
    })).rejects.toThrow(`Buildpack directory ${bp} is inside the platform's data dir`)
    expect(lines).toContain(` !     Buildpack directory ${bp} is inside the platform's data dir, which builds cannot see. Move the buildpack elsewhere or push it to a git repository.`)
  })

  it('under bwrap: an export file naming a host file as CA bundle or npm config does not get it mounted', async () => {
    const dataDir = join(root, 'data')
    const workDir = join(dataDir, 'builds', 'b4')
    mkdirSync(join(workDir, 'app'), {recursive: true})
    source({Procfile: 'web: x'}, join(workDir, 'app'))
    const secret = join(root, 'host-secret.txt')
    writeFileSync(secret, 'host-secret-value\n')
    const first = buildpackFixture(join(root, 'bp-x1'), {compile: 'true', detect: 'echo First'}, `export NODE_EXTRA_CA_CERTS=${secret} SSL_CERT_FILE=${secret} npm_config_userconfig=${secret}\n`)
    const second = buildpackFixture(join(root, 'bp-x2'), {
      compile: 'for f in "$NODE_EXTRA_CA_CERTS" "$SSL_CERT_FILE" "$npm_config_userconfig"; do cat "$f" 2>&1 || true; done > "$1/leak.txt"',
      detect: 'echo Second',
    })
    await buildSlug({
      buildpacks: [first, second],
      cacheDir: join(dataDir, 'cache', 'app1'),
      configVars: {},
      hideDir: dataDir,
      isolation: 'bwrap',
      onOutput() {},
      parentEnv: {HOME: join(root, 'nohome'), PATH: process.env.PATH},
      slugPath: join(root, 'slug.tgz'),
      timeoutMs: 60_000,
      workDir,
    })
    const leak = readFileSync(join(workDir, 'app', 'leak.txt'), 'utf8')
    expect(leak).not.toContain('host-secret-value')
    expect(leak).toContain('No such file or directory')
  })
})

