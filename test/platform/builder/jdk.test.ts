// JDK choice of the JVM buildpacks (issue 17): system.properties java.runtime.version against the installed JDKs.
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {installedJdks, javaMajor, selectJdk} from '../../../src/platform/builder/buildpacks/jdk.js'

describe('JVM buildpacks: JDK selection', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-jdk-'))
  afterAll(() => rmSync(root, {force: true, recursive: true}))

  function fakeJvm(): string {
    const jvm = join(root, 'jvm')
    for (const [name, version] of [['java-17-openjdk-amd64', '17.0.15'], ['temurin-25-jdk-amd64', '25.0.3'], ['jre-only-21', '21.0.1']]) {
      mkdirSync(join(jvm, name, 'bin'), {recursive: true})
      writeFileSync(join(jvm, name, 'release'), `IMPLEMENTOR="x"\nJAVA_VERSION="${version}"\n`)
      writeFileSync(join(jvm, name, 'bin', 'java'), '')
      if (name !== 'jre-only-21') writeFileSync(join(jvm, name, 'bin', 'javac'), '')
    }

    symlinkSync('java-17-openjdk-amd64', join(jvm, 'java-1.17.0-openjdk-amd64'))
    return jvm
  }

  function app(properties?: string): string {
    const dir = mkdtempSync(join(root, 'app-'))
    if (properties !== undefined) writeFileSync(join(dir, 'system.properties'), properties)
    return dir
  }

  it.each([
    ['17', 17],
    ['17.0.2', 17],
    ['1.8', 8],
    ['zulu-21', 21],
    ['openjdk-11.0.1', 11],
    ['latest', undefined],
  ])('java.runtime.version=%s → Java %s', (version, major) => {
    expect(javaMajor(version)).toBe(major)
  })

  it('lists JDKs with javac once each (aliases collapse), newest first', async () => {
    const jdks = await installedJdks(fakeJvm())
    expect(jdks.map(j => [j.major, j.version])).toEqual([[25, '25.0.3'], [17, '17.0.15']])
  })

  it('takes the JDK system.properties names, and refuses one that is not installed, naming those that are', async () => {
    const jdks = await installedJdks(join(root, 'jvm'))
    expect((await selectJdk(app('java.runtime.version=25\n'), jdks)).jdk.version).toBe('25.0.3')
    expect((await selectJdk(app('# comment\njava.runtime.version = 17.0.1\n'), jdks)).jdk.version).toBe('17.0.15')
    const refused = selectJdk(app('java.runtime.version=11\n'), jdks)
    await expect(refused).rejects.toThrow(/^system\.properties asks for Java 11 \(java\.runtime\.version=11\), which this platform does not have\. /)
    await expect(refused).rejects.toThrow(/Installed JDKs: 25 \(.*temurin-25-jdk-amd64\), 17 \(.*java-17-openjdk-amd64\)\./)
    await expect(selectJdk(app('java.runtime.version=latest\n'), jdks)).rejects.toThrow(/names no Java version/)
    await expect(selectJdk(app(), [])).rejects.toThrow(/No JDK is installed/)
  })
})
