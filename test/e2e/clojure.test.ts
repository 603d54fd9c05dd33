// e2e (issue 17): a Leiningen app (examples/clojure-lein: the JDK's HTTP server + clojure.data.json, both from Maven
// Central) deployed with `git push ferry main`, detected as Clojure with no buildpack set, built by Debian's Leiningen
// into an uberjar and answering through the router; the second push downloads nothing; a compile error is rejected
// while the previous release keeps serving. Needs `npm run build`, java and lein.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'

import {bubblewrap, commands, commit, describeLanguage, push, releaseVersions, viaRouter} from './language-apps.js'

const needs = [commands('java and lein', 'apt-get install openjdk-17-jdk-headless leiningen', 'java', 'javac', 'lein'), bubblewrap]

describeLanguage('e2e: Clojure (Leiningen) buildpack', {id: 'clojure', needs}, suite => {
  const app = 'clojure-e2e'

  it('cold and warm push serve through the router; a compile error is rejected and the previous release keeps serving', async () => {
    const dir = await suite.app('clojure-lein', app)
    const cold = await push(suite.home, dir)
    expect(cold.code, cold.output).toBe(0)
    expect(cold.output).toContain('remote: -----> Clojure (Leiningen) app detected')
    expect(cold.output).toMatch(/remote: {8}Retrieving org\/clojure\/data\.json\/2\.5\.0\/data\.json-2\.5\.0\.jar from central/)
    expect(cold.output).toContain('remote:        Created /build/app/target/hello-standalone.jar')
    expect(JSON.parse(await viaRouter(suite.home, app))).toEqual({dyno: 'web.1', hello: 'from Clojure 1.11.1'})

    commit(suite.home, dir, 'redeploy')
    const warm = await push(suite.home, dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).not.toContain('Retrieving')
    console.log(`clojure-lein push: cold ${cold.ms} ms, warm ${warm.ms} ms`)

    const source = readFileSync(join(dir, 'src/hello/core.clj'), 'utf8')
    commit(suite.home, dir, 'unbalanced', {'src/hello/core.clj': source.replace('(.start server)', '(.start server')})
    const broken = await push(suite.home, dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toMatch(/remote: {2}! {5}Failed to build app with Leiningen \(exit status 1\)\./)
    expect(await releaseVersions(suite.home, app)).toEqual([1, 2, 3, 4])
    expect(JSON.parse(await viaRouter(suite.home, app)).hello).toBe('from Clojure 1.11.1')
  }, 240_000)
})
