// The router engines the router suites run against: the Node router, the native one (ferry-router, in its bwrap
// sandbox when bwrap is usable here, as the daemon runs it), and the native one's sanitizer build (ASan + UBSan,
// dist/native/ferry-router-asan, built by scripts/build-native.mjs): a memory error there aborts the child, which the
// suites see as an unexpected exit. Without a build the native cases are skipped, except under CI, where they must run.
import http from 'node:http'
import {join} from 'node:path'

import {detectIsolation} from '../../../src/platform/isolation.js'
import {NativeRouter, nativeRouterBinary} from '../../../src/platform/router/native.js'
import {HttpRouter, type RouterOptions} from '../../../src/platform/router/proxy.js'
import {findBwrap} from '../../../src/platform/router/sandbox.js'

export const binary = nativeRouterBinary()
/** The sanitizer build next to the router's own (a FERRY_ROUTER_BINARY build has none). */
export const asanBinary = nativeRouterBinary({FERRY_ROUTER_BINARY: join(process.cwd(), 'dist', 'native', 'ferry-router-asan')})
/** bwrap, when it works here (the daemon's test: detectIsolation). */
export const bwrap = detectIsolation() === 'bwrap' ? findBwrap() : undefined

export interface Engine {
  make(options: RouterOptions): HttpRouter | NativeRouter
  name: string
  skip: boolean
}

const ci = Boolean(process.env.CI)

export const engines: Engine[] = [
  {make: options => new HttpRouter(options), name: 'node', skip: false},
  {make: options => new NativeRouter({...options, binary, bwrap}), name: 'native', skip: !binary && !ci},
  {make: options => new NativeRouter({...options, binary: asanBinary, bwrap}), name: 'native-asan', skip: !asanBinary && !ci},
]

/** GET / through the router at `port` with Host `host`: the status. */
export function getStatus(port: number, host = 'demo.localhost'): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({agent: false, headers: {host}, host: '127.0.0.1', port}, res => {
      res.resume()
      resolve(res.statusCode!)
    }).on('error', reject)
  })
}
