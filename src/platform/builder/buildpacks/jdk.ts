// The JDKs of the host (/usr/lib/jvm, visible read-only to builds and dynos at the same path) and the choice of one
// from an app's system.properties (`java.runtime.version`), as Heroku's JVM buildpacks read it.
import {readdir, readFile, realpath} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {readConfined, writeConfined} from '../confined.js'
import {BuildError} from '../run.js'

export const JVM_DIR = '/usr/lib/jvm'

export interface Jdk {
  /** Real path of the JDK (symlinked aliases such as java-1.17.0-openjdk-amd64 collapse into one). */
  home: string
  major: number
  version: string
}

/** JDKs (with javac: Maven and sbt compile) under /usr/lib/jvm, newest first. */
export async function installedJdks(jvmDir = JVM_DIR): Promise<Jdk[]> {
  let names: string[] = []
  try {
    names = await readdir(jvmDir)
  } catch {
    return []
  }

  const found = new Map<string, Jdk>()
  for (const name of names) {
    try {
      const home = await realpath(join(jvmDir, name))
      await realpath(join(home, 'bin', 'javac'))
      const version = /^JAVA_VERSION="([^"]+)"/m.exec(await readFile(join(home, 'release'), 'utf8'))?.[1]
      if (version) found.set(home, {home, major: javaMajor(version) ?? 0, version})
    } catch {}
  }

  return [...found.values()].sort((a, b) => b.major - a.major)
}

/** The JDK behind the host's `java` (Debian's alternatives), else the newest one. */
export async function defaultJdk(jdks: Jdk[], javaPath = '/usr/bin/java'): Promise<Jdk | undefined> {
  try {
    const home = dirname(dirname(await realpath(javaPath)))
    const jdk = jdks.find(j => j.home === home)
    if (jdk) return jdk
  } catch {}

  return jdks[0]
}

/** 17 for "17", "17.0.2", "zulu-17", "openjdk-17.0.1"; 8 for "1.8"; undefined when it names no version. */
export function javaMajor(version: string): number | undefined {
  const match = /^(?:[a-z]+-)?(\d+)(?:\.(\d+))?/i.exec(version.trim())
  if (!match) return undefined
  const first = Number(match[1])
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first
}

/** `java.runtime.version` of system.properties (undefined without the file or the key). */
export async function requestedJava(buildDir: string): Promise<string | undefined> {
  const text = await readConfined(buildDir, 'system.properties', 64 * 1024)
  if (text === undefined) return undefined
  const match = /^\s*java\.runtime\.version\s*[=:]\s*(\S+)\s*$/m.exec(text)
  return match?.[1]
}

/**
 * The JDK to build and run with: the one system.properties names (by major version) when installed, the host's
 * default when it names none. A version that is not installed fails the build, naming what is.
 */
export async function selectJdk(buildDir: string, jdks?: Jdk[]): Promise<{jdk: Jdk; requested?: string}> {
  const all = jdks ?? (await installedJdks())
  const installed = all.map(j => `${j.major} (${j.home})`).join(', ') || 'none'
  const requested = await requestedJava(buildDir)
  if (requested === undefined) {
    const jdk = await defaultJdk(all)
    if (!jdk) throw new BuildError(`No JDK is installed on this platform (${JVM_DIR} has none with javac): install one, e.g. apt-get install openjdk-17-jdk-headless.`)
    return {jdk}
  }

  const major = javaMajor(requested)
  if (major === undefined) throw new BuildError(`system.properties: java.runtime.version=${requested} names no Java version (use e.g. java.runtime.version=17).`)
  const jdk = all.find(j => j.major === major)
  if (!jdk) {
    const asked = `system.properties asks for Java ${major} (java.runtime.version=${requested}), which this platform does not have.`
    throw new BuildError(`${asked} Installed JDKs: ${installed}. Change java.runtime.version to one of them.`)
  }

  return {jdk, requested}
}

/**
 * Flags of the build tools' JVMs (Maven, Leiningen and the project JVM it starts): a build JVM lives seconds, so the
 * C1 compiler alone and the serial collector get it done sooner, on few cores most of all (measured at load ~8 on
 * 2 cores: scala-maven's warm Maven run 18–24 s → 8.5–10.6 s, clojure-lein's `lein uberjar` 12.5–13.8 s → 6.4–8.6 s).
 * Leiningen's launcher sets the first two itself, unless LEIN_JVM_OPTS is set (ferry sets it, for user.home).
 */
export const BUILD_JVM_FLAGS = '-XX:+TieredCompilation -XX:TieredStopAtLevel=1 -XX:+UseSerialGC'

/**
 * .profile.d script of JVM apps: JAVA_HOME and PATH of the build's JDK, and a heap fitting the dyno's memory
 * (DYNO_RAM in MB, set by the supervisor; Heroku's figures: -Xmx300m for 512 MB, -Xmx671m for 1 GB, 80% above).
 * An app's own JAVA_TOOL_OPTIONS / JAVA_OPTS config vars win.
 */
export async function writeJvmProfile(buildDir: string, jdk: Jdk): Promise<void> {
  /* eslint-disable no-template-curly-in-string -- shell syntax, not templates */
  const script = [
    `export JAVA_HOME="${jdk.home}"`,
    'export PATH="$JAVA_HOME/bin:$PATH"',
    'ferry_ram="${DYNO_RAM:-512}"',
    'if [ "$ferry_ram" -le 512 ]; then ferry_heap="-Xmx300m -Xss512k -XX:CICompilerCount=2"',
    'elif [ "$ferry_ram" -le 1024 ]; then ferry_heap="-Xmx671m -XX:CICompilerCount=2"',
    'else ferry_heap="-Xmx$((ferry_ram * 80 / 100))m"; fi',
    'export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-$ferry_heap -Dfile.encoding=UTF-8}"',
    'export JAVA_OPTS="${JAVA_OPTS:-$ferry_heap -Dfile.encoding=UTF-8}"',
    'unset ferry_ram ferry_heap',
    '',
  ].join('\n')
  /* eslint-enable no-template-curly-in-string */
  await writeConfined(buildDir, '.profile.d/jvmcommon.sh', script)
}
