// e2e (issue 17): a Maven app (examples/java-maven: the JDK's HTTP server + Gson from Maven Central) deployed with
// `git push ferry main` through the real CLI and daemon, detected as Java with no buildpack set, answering through the
// router; the second push is warm (nothing downloaded); a compile error, a missing dependency and a Java version the
// platform lacks are rejected while the previous release keeps serving. Needs `npm run build`, java and mvn.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'

import {bubblewrap, commands, commit, describeLanguage, push, releaseVersions, viaRouter} from './language-apps.js'

const needs = [commands('java and mvn', 'apt-get install openjdk-17-jdk-headless maven', 'java', 'javac', 'mvn'), bubblewrap]

describeLanguage('e2e: Java (Maven) buildpack', {id: 'java', needs}, suite => {
  let dir: string
  const app = 'java-e2e'

  it('cold push: Java detected, Maven downloads gson, the jar answers through the router with a 512 MB heap default', async () => {
    dir = await suite.app('java-maven', app)
    const cold = await push(suite.home, dir)
    expect(cold.code, cold.output).toBe(0)
    expect(cold.output).toContain('remote: -----> Java app detected')
    expect(cold.output).toContain('remote:        java.runtime.version (system.properties): 17')
    expect(cold.output).toMatch(/remote: -----> Executing Maven with the platform's Maven 3\./)
    expect(cold.output).toMatch(/remote: {8}\[INFO\] Downloaded from central: .*gson-2\.13\.1\.jar/)
    expect(cold.output).toContain('remote:        [INFO] BUILD SUCCESS')
    const body = JSON.parse(await viaRouter(suite.home, app)) as {dyno: string; hello: string; maxHeapMb: number}
    expect(body.hello).toMatch(/^from Java 17\./)
    expect(body.dyno).toBe('web.1')
    // .profile.d/jvmcommon.sh: -Xmx300m for a 512 MB (standard-1x) dyno, as on Heroku.
    expect(body.maxHeapMb).toBeGreaterThan(250)
    expect(body.maxHeapMb).toBeLessThanOrEqual(300)
    console.log(`java-maven cold push: ${cold.ms} ms`)
  }, 240_000)

  it('warm push: the Maven repository comes from the build cache (nothing downloaded)', async () => {
    commit(suite.home, dir, 'redeploy')
    const warm = await push(suite.home, dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).toContain('remote:        [INFO] BUILD SUCCESS')
    expect(warm.output).not.toMatch(/Download(ing|ed) from/)
    expect(await releaseVersions(suite.home, app)).toEqual([1, 2, 3, 4])
    expect(JSON.parse(await viaRouter(suite.home, app)).hello).toMatch(/^from Java 17\./)
    console.log(`java-maven warm push: ${warm.ms} ms`)
  }, 120_000)

  it('a compile error, a missing dependency and a JDK the platform lacks are rejected; the previous release keeps serving', async () => {
    const source = readFileSync(join(dir, 'src/main/java/hello/App.java'), 'utf8')
    commit(suite.home, dir, 'syntax error', {'src/main/java/hello/App.java': source.replace('server.start();', 'server.start()')})
    const broken = await push(suite.home, dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toContain('COMPILATION ERROR')
    expect(broken.output).toMatch(/remote: {2}! {5}Failed to build app with Maven \(exit status 1\)\./)

    const pom = readFileSync(join(dir, 'pom.xml'), 'utf8')
    commit(suite.home, dir, 'missing dependency', {
      'pom.xml': pom.replace('<dependencies>', '<dependencies><dependency><groupId>ferry.missing</groupId><artifactId>nowhere</artifactId><version>0.0.1</version></dependency>'),
      'src/main/java/hello/App.java': source,
    })
    const missingDep = await push(suite.home, dir)
    expect(missingDep.code).not.toBe(0)
    expect(missingDep.output).toMatch(/Could not (find|resolve).*ferry\.missing:nowhere/)

    commit(suite.home, dir, 'java 11', {'pom.xml': pom, 'system.properties': 'java.runtime.version=11\n'})
    const wrongJdk = await push(suite.home, dir)
    expect(wrongJdk.code).not.toBe(0)
    expect(wrongJdk.output).toMatch(/system\.properties asks for Java 11 \(java\.runtime\.version=11\), which this platform does not have\. Installed JDKs: .*17 \(/)

    expect(await releaseVersions(suite.home, app)).toEqual([1, 2, 3, 4])
    expect(JSON.parse(await viaRouter(suite.home, app)).hello).toMatch(/^from Java 17\./)
  }, 180_000)
})
