// e2e (issue 17): a Leiningen app (examples/clojure-lein: the JDK's HTTP server + clojure.data.json, both from Maven
// Central) deployed with `git push ferry main`, detected as Clojure with no buildpack set, built by Debian's Leiningen
// into an uberjar and answering through the router; the second push downloads nothing; a compile error is rejected
// while the previous release keeps serving. Needs `npm run build`, java and lein.
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, removeFerryHome, ROOT} from '../helpers/index.js'
import {bwrapUsable, skipUnlessAvailable} from '../helpers/requires.js'
import {commit, createApp, exampleTree, onPath, push, releaseVersions, viaRouter} from './language-apps.js'

const missing =
  skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js')), 'run npm run build') ||
  skipUnlessAvailable('java and lein', onPath('java', 'javac', 'lein'), 'apt-get install openjdk-17-jdk-headless leiningen') ||
  skipUnlessAvailable('bubblewrap', bwrapUsable(), 'apt-get install bubblewrap')

describe.skipIf(missing)('e2e: Clojure (Leiningen) buildpack', () => {
  let home: string
  let scratch: string
  const app = 'clojure-e2e'

  beforeAll(() => {
    home = makeFerryHome()
    scratch = mkdtempSync(join(tmpdir(), 'ferry-e2e-clojure-'))
  })

  afterAll(async () => {
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
  })

  it('cold and warm push serve through the router; a compile error is rejected and the previous release keeps serving', async () => {
    const dir = exampleTree(home, scratch, 'clojure-lein', app)
    await createApp(home, app, dir)
    const cold = await push(home, dir)
    expect(cold.code, cold.output).toBe(0)
    expect(cold.output).toContain('remote: -----> Clojure (Leiningen) app detected')
    expect(cold.output).toMatch(/remote: {8}Retrieving org\/clojure\/data\.json\/2\.5\.0\/data\.json-2\.5\.0\.jar from central/)
    expect(cold.output).toContain('remote:        Created /build/app/target/hello-standalone.jar')
    expect(JSON.parse(await viaRouter(home, app))).toEqual({dyno: 'web.1', hello: 'from Clojure 1.11.1'})

    commit(home, dir, 'redeploy')
    const warm = await push(home, dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).not.toContain('Retrieving')
    console.log(`clojure-lein push: cold ${cold.ms} ms, warm ${warm.ms} ms`)

    const source = readFileSync(join(dir, 'src/hello/core.clj'), 'utf8')
    commit(home, dir, 'unbalanced', {'src/hello/core.clj': source.replace('(.start server)', '(.start server')})
    const broken = await push(home, dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toMatch(/remote: {2}! {5}Failed to build app with Leiningen \(exit status 1\)\./)
    expect(await releaseVersions(home, app)).toEqual([1, 2, 3, 4])
    expect(JSON.parse(await viaRouter(home, app)).hello).toBe('from Clojure 1.11.1')
  }, 240_000)
})
