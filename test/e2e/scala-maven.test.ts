// e2e (issue 17): a Scala app built with Maven (examples/scala-maven: scala-maven-plugin and scala-library from Maven
// Central; sbt cannot be had here) deployed with `git push ferry main`: the Java buildpack builds it (zinc writes its
// compiler bridge under the JVM's user.home, which must be writable) and it answers through the router.
// Needs `npm run build`, java and mvn.
import {expect, it} from 'vitest'

import {bubblewrap, commands, describeLanguage, push, viaRouter} from './language-apps.js'

const needs = [commands('java and mvn', 'apt-get install openjdk-17-jdk-headless maven', 'java', 'javac', 'mvn'), bubblewrap]

describeLanguage('e2e: Scala built with Maven', {id: 'scala', needs}, suite => {
  it('goes to the Java buildpack, compiles with scala-maven-plugin and serves', async () => {
    const dir = await suite.app('scala-maven', 'scala-e2e')
    const pushed = await push(suite.home, dir)
    expect(pushed.code, pushed.output).toBe(0)
    expect(pushed.output).toContain('remote: -----> Java app detected')
    expect(pushed.output).toContain('remote:        [INFO] compiling 1 Scala source to /build/app/target/classes ...')
    expect(pushed.output).toMatch(/remote: {8}\[INFO\] Compiler bridge file: \/cache\/jvm-home\/\.sbt\//)
    expect(await viaRouter(suite.home, 'scala-e2e')).toBe('hello from Scala 2.13.16')
    console.log(`scala-maven cold push: ${pushed.ms} ms`)
  }, 300_000)
})
