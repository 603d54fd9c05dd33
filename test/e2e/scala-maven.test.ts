// e2e (issue 17): a Scala app built with Maven (examples/scala-maven: scala-maven-plugin and scala-library from Maven
// Central; sbt cannot be had here) deployed with `git push ferry main`: the Java buildpack builds it (zinc writes its
// compiler bridge under the JVM's user.home, which must be writable) and it answers through the router.
// Needs `npm run build`, java and mvn.
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, removeFerryHome, ROOT} from '../helpers/index.js'
import {bwrapUsable, skipUnlessAvailable} from '../helpers/requires.js'
import {createApp, exampleTree, onPath, push, viaRouter} from './language-apps.js'

const missing =
  skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js')), 'run npm run build') ||
  skipUnlessAvailable('java and mvn', onPath('java', 'javac', 'mvn'), 'apt-get install openjdk-17-jdk-headless maven') ||
  skipUnlessAvailable('bubblewrap', bwrapUsable(), 'apt-get install bubblewrap')

describe.skipIf(missing)('e2e: Scala built with Maven', () => {
  let home: string
  let scratch: string

  beforeAll(() => {
    home = makeFerryHome()
    scratch = mkdtempSync(join(tmpdir(), 'ferry-e2e-scala-'))
  })

  afterAll(async () => {
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
  })

  it('goes to the Java buildpack, compiles with scala-maven-plugin and serves', async () => {
    const dir = exampleTree(home, scratch, 'scala-maven', 'scala-e2e')
    await createApp(home, 'scala-e2e', dir)
    const pushed = await push(home, dir)
    expect(pushed.code, pushed.output).toBe(0)
    expect(pushed.output).toContain('remote: -----> Java app detected')
    expect(pushed.output).toContain('remote:        [INFO] compiling 1 Scala source to /build/app/target/classes ...')
    expect(pushed.output).toMatch(/remote: {8}\[INFO\] Compiler bridge file: \/cache\/jvm-home\/\.sbt\//)
    expect(await viaRouter(home, 'scala-e2e')).toBe('hello from Scala 2.13.16')
    console.log(`scala-maven cold push: ${pushed.ms} ms`)
  }, 300_000)
})
