// What the official heroku CLI and git need to drive the local platform: where the API is, its token, and trust in
// the platform's self-signed certificate (https git remotes, `heroku run`'s TLS rendezvous). The trust is written as
// bundles that ADD the platform's certificate to what the environment trusted before (GIT_SSL_CAINFO replaces git's
// CA list, so pointing it at the platform's certificate alone would break every other https remote).
import fs from 'node:fs'
import path from 'node:path'

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

function readable(file: string | undefined): string | undefined {
  if (!file) return undefined
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** Writes `base` (if any) + the platform certificate to `file` (mode 0644: certificates are public). */
function bundle(file: string, base: string | undefined, cert: string): void {
  const text = `${base ? `${base.trimEnd()}\n` : ''}${cert.trimEnd()}\n`
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text, {mode: 0o644})
  fs.renameSync(tmp, file)
}

export interface HerokuEnvInput {
  /** The platform's certificate (PEM file). */
  certPath: string
  /** Where the trust bundles are written. */
  dir: string
  env: NodeJS.ProcessEnv
  token: string
  /** The API URL, http://127.0.0.1:PORT. */
  url: string
}

/** The variables, in the order they are printed. */
export function herokuEnv(input: HerokuEnvInput): Array<[string, string]> {
  const cert = fs.readFileSync(input.certPath, 'utf8')
  fs.mkdirSync(input.dir, {recursive: true})
  const nodeBundle = path.join(input.dir, 'node-ca.pem')
  const gitBundle = path.join(input.dir, 'git-ca.pem')
  // Node keeps its own roots and adds NODE_EXTRA_CA_CERTS; git (and curl) replace theirs with GIT_SSL_CAINFO.
  bundle(nodeBundle, readable(input.env.NODE_EXTRA_CA_CERTS), cert)
  bundle(gitBundle, readable(input.env.GIT_SSL_CAINFO) ?? readable(input.env.SSL_CERT_FILE) ?? readable(SYSTEM_BUNDLE), cert)
  return [
    ['HEROKU_HOST', input.url],
    ['HEROKU_API_KEY', input.token],
    ['HEROKU_BUILDPACK_REGISTRY_URL', input.url],
    // The Heroku Data API (heroku pg:info …): the CLI keeps the API's scheme and port and swaps the host name.
    ['HEROKU_DATA_HOST', new URL(input.url).hostname],
    ['NODE_EXTRA_CA_CERTS', nodeBundle],
    ['GIT_SSL_CAINFO', gitBundle],
  ]
}
