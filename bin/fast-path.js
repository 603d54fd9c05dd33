// Answers `ferry --version` and the root help without loading oclif, when the answer is known to be exactly what
// oclif 4 would print; bin/run.js falls back to oclif whenever fastPath returns undefined. Also runs git's credential
// helper (`ferry git:credentials get|store|erase`, twice per `git push`) without oclif: fastGitCredential.
import fs from 'node:fs'

/** What oclif would print for these arguments, when it can be produced without oclif; undefined otherwise. */
export function fastPath(argv) {
  const env = process.env
  // Anything that changes oclif's behaviour or output (debug logging, columns, colours, hooks) → oclif decides.
  if (env.FERRY_NO_FAST_PATH || env.DEBUG || env.FERRY_DEBUG || Object.keys(env).some(k => k.startsWith('OCLIF_'))) return
  const root = new URL('../', import.meta.url)
  const pjson = JSON.parse(fs.readFileSync(new URL('package.json', root), 'utf8'))
  const oclif = pjson.oclif ?? {}
  if (oclifRunsMore(oclif)) return
  // main.run(): version when argv[0] is a version flag; root help for no arguments or a lone help flag.
  const versionFlags = ['--version', ...(oclif.additionalVersionFlags ?? [])]
  const helpFlags = ['--help', ...(oclif.additionalHelpFlags ?? [])]
  const wantsVersion = versionFlags.includes(argv[0])
  const wantsHelp = !wantsVersion && (argv.length === 0 || (argv.length === 1 && helpFlags.includes(argv[0])))
  if (!wantsVersion && !wantsHelp) return
  const ua = userAgent(pjson)
  if (!ua) return
  if (wantsVersion) return ua + '\n'
  return rootHelp(root, pjson, ua, argv.length === 0 ? 'noArgs' : 'helpFlag')
}

/**
 * Whether oclif would run more than the command: hooks (init…) or plugins. Only the root's own config and oclif's
 * plugin-help (no hooks) are known; command_not_found cannot fire for the version, the root help or a command
 * that exists.
 */
function oclifRunsMore(oclif) {
  return Object.keys(oclif.hooks ?? {}).some(h => h !== 'command_not_found') || (oclif.plugins ?? []).some(p => p !== '@oclif/plugin-help')
}

const CREDENTIAL_OPERATIONS = new Set(['erase', 'get', 'store'])

/**
 * `ferry git:credentials <get|store|erase>`, run by git for every push and fetch of a ferry remote: `get` is answered by
 * dist/cli/git-credential.js (the code oclif's command runs too), `store` and `erase` only read their input (ferry keeps
 * no credentials). Resolves false when oclif should run the command instead (other arguments, hooks to run, no build).
 */
export async function fastGitCredential(argv) {
  if (argv.length !== 2 || argv[0] !== 'git:credentials' || !CREDENTIAL_OPERATIONS.has(argv[1]) || process.env.FERRY_NO_FAST_PATH) return false
  const root = new URL('../', import.meta.url)
  try {
    if (oclifRunsMore(JSON.parse(fs.readFileSync(new URL('package.json', root), 'utf8')).oclif ?? {})) return false
  } catch {
    return false
  }

  let helper
  if (argv[1] === 'get') {
    try {
      helper = await import(new URL('dist/cli/git-credential.js', root).href)
    } catch {
      return false
    }
  }

  const chunks = []
  if (!process.stdin.isTTY) for await (const chunk of process.stdin) chunks.push(chunk)
  if (helper) await helper.runGitCredential(argv[1], Buffer.concat(chunks).toString('utf8'))
  return true
}

/** Config.userAgent of @oclif/core 4: `<name>/<version> <platform>-<arch> node-<process.version>`; undefined on WSL (oclif says `wsl`). */
function userAgent(pjson) {
  if (process.platform === 'linux' && maybeWsl()) return
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  return `${pjson.name}/${pjson.version || '0.0.0'} ${process.platform}-${arch} node-${process.version}`
}

function maybeWsl() {
  try {
    if (fs.readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return true
  } catch {}

  return fs.existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || fs.existsSync('/run/WSL')
}

/**
 * The root help, rendered by oclif itself at build time (bin/help-cache.js → dist/root-help.json) for a non-TTY stdout
 * without colours (80 columns). Used only in that same situation and while the manifest, package.json and oclif's
 * versions are those it was rendered from.
 */
function rootHelp(root, pjson, ua, variant) {
  // oclif wraps to the terminal's width and colours on a TTY, or when the environment asks for colours (ansis).
  const env = process.env
  if (process.stdout.isTTY || process.argv.some(a => /^--?(no-)?color/.test(a))) return
  if (['FORCE_COLOR', 'COLORTERM', 'TF_BUILD', 'CI', 'PM2_HOME', 'NEXT_RUNTIME'].some(k => env[k] !== undefined)) return
  if (Object.keys(env).some(k => k.startsWith('TEAMCI'))) return
  let cache
  try {
    cache = JSON.parse(fs.readFileSync(new URL('dist/root-help.json', root), 'utf8'))
  } catch {
    return
  }

  if (cache.fingerprint !== helpFingerprint(root, pjson)) return
  const text = cache[variant]
  return typeof text === 'string' ? text.replaceAll(cache.userAgentPlaceholder, ua) : undefined
}

/** What the root help depends on besides the terminal: the manifest, package.json's name/description/bin/oclif, @oclif/core and @oclif/plugin-help. */
export function helpFingerprint(root, pjson) {
  const version = name => {
    try {
      // Both packages' entry points are lib/index.js (plugin-help does not export its package.json).
      const pkg = new URL('../package.json', import.meta.resolve(name))
      return JSON.parse(fs.readFileSync(pkg, 'utf8')).version
    } catch {
      return '?'
    }
  }

  const manifest = fs.readFileSync(new URL('oclif.manifest.json', root), 'utf8')
  return JSON.stringify([hash(manifest), hash(JSON.stringify([pjson.name, pjson.description, pjson.bin, pjson.oclif])), version('@oclif/core'), version('@oclif/plugin-help')])
}

/** FNV-1a (32 bit) of a string: enough to notice a changed file, and cheaper than loading node:crypto. */
function hash(text) {
  let h = 0x81_1C_9D_C5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01_00_01_93)
  return (h >>> 0).toString(16) + ':' + text.length
}
