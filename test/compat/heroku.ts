// Running the official `heroku` CLI (v11) against a FERRY_HOME's local platform, shared by the compat suites.
// The CLI is installed by .ci/run (scripts/install-heroku-cli.sh) into node_modules/.cache/heroku-cli; set
// FERRY_HEROKU_CLI to another `heroku` binary to use that one. Without it the suites are skipped (and say so), or fail under CI=true.
import fs from 'node:fs'
import path from 'node:path'

import {readDaemonJson, readToken, ROOT, runCommand} from '../helpers/index.js'

export const herokuBin = process.env.FERRY_HEROKU_CLI ?? path.join(ROOT, 'node_modules', '.cache', 'heroku-cli', 'node_modules', '.bin', 'heroku')
export const herokuAvailable = fs.existsSync(herokuBin)

export interface HerokuResult {code: null | number; stderr: string; stdout: string}

/**
 * The environment of platform-api.md §1.6 for a running platform of `home`: an isolated HOME (with the
 * terms-of-service marker, so stderr carries no first-run notice), the API at http://127.0.0.1:PORT, the token,
 * telemetry and update checks off, and the platform's TLS certificate trusted (rendezvous for `heroku run`).
 */
export function herokuEnv(home: string): NodeJS.ProcessEnv {
  const hh = path.join(home, 'heroku-home')
  fs.mkdirSync(path.join(hh, '.cache', 'heroku'), {recursive: true})
  fs.writeFileSync(path.join(hh, '.cache', 'heroku', 'terms-of-service'), '')
  fs.writeFileSync(path.join(hh, 'gitconfig'), '')
  const host = `http://127.0.0.1:${readDaemonJson(home)!.port}`
  return {
    DISABLE_TELEMETRY: 'true',
    GIT_CONFIG_GLOBAL: path.join(hh, 'gitconfig'),
    HEROKU_API_KEY: readToken(home),
    HEROKU_BUILDPACK_REGISTRY_URL: host,
    HEROKU_DISABLE_AUTOUPDATE: '1',
    HEROKU_HOST: host,
    HEROKU_PARTICLEBOARD_URL: host,
    HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
    HOME: hh,
    NO_COLOR: '1',
    NODE_EXTRA_CA_CERTS: path.join(home, 'data', 'run', 'tls', 'cert.pem'),
    PATH: process.env.PATH,
    XDG_CACHE_HOME: path.join(hh, '.cache'),
    XDG_CONFIG_HOME: path.join(hh, '.config'),
    XDG_DATA_HOME: path.join(hh, '.local', 'share'),
  }
}

/** Runs `heroku ...args` with `env` (stdin: `input`, then EOF); never rejects on a non-zero exit. */
export function runHeroku(env: NodeJS.ProcessEnv, args: string[], input = ''): Promise<HerokuResult> {
  return runCommand(herokuBin, args, {cwd: env.HOME, env, input})
}
