// Scala and Clojure detection (issue 17): Heroku's files, Maven-built apps left to the Java buildpack, and a clear
// refusal for the tools that cannot be had here (sbt, the Clojure CLI).
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {DETECTION_ORDER} from '../../../src/platform/builder/buildpacks/builtin.js'
import {clojureBuildpack, scalaBuildpack} from '../../../src/platform/builder/buildpacks/jvm-langs.js'

describe('Scala and Clojure detection', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-jvm-langs-'))
  afterAll(() => rmSync(root, {force: true, recursive: true}))

  function app(files: Record<string, string>) {
    const buildDir = mkdtempSync(join(root, 'app-'))
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(join(buildDir, file, '..'), {recursive: true})
      writeFileSync(join(buildDir, file), content)
    }

    return {buildDir, cacheDir: root, env: {}, envDir: root, log() {}, signal: new AbortController().signal, workDir: root}
  }

  async function detected(files: Record<string, string>): Promise<null | string> {
    for (const buildpack of DETECTION_ORDER) {
      const description = await buildpack.detect(app(files))
      if (description !== null) return `${buildpack.name}: ${description}`
    }

    return null
  }

  it('follows Heroku: project.clj and deps.edn are Clojure, build.sbt and project/build.properties Scala; with a pom.xml, Java', async () => {
    expect(await detected({'project.clj': '(defproject x "1")'})).toBe('heroku/clojure: Clojure (Leiningen)')
    expect(await detected({'deps.edn': '{}'})).toBe('heroku/clojure: Clojure')
    expect(await detected({'build.sbt': ''})).toBe('heroku/scala: Scala')
    expect(await detected({'project/build.properties': 'sbt.version=1.10.0'})).toBe('heroku/scala: Scala')
    expect(await detected({'build.sbt': '', 'pom.xml': '<project/>'})).toBe('heroku/java: Java')
    expect(await detected({'pom.xml': '<project/>', 'project.clj': ''})).toBe('heroku/java: Java')
  })

  it('refuses sbt and the Clojure CLI, naming the missing tool and the Maven way', async () => {
    await expect(scalaBuildpack.compile(app({'build.sbt': ''}))).rejects.toThrow(/^sbt is not available on this platform: .*scala-maven-plugin/)
    await expect(clojureBuildpack.compile(app({'deps.edn': '{}'}))).rejects.toThrow(/^The Clojure CLI \(deps\.edn\) is not available on this platform: .*Leiningen \(project\.clj\) or build the app with Maven/)
  })
})
