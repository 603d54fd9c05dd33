// Java with Maven, as Heroku's heroku/java: `./mvnw` (else the host's `mvn`) runs `-DskipTests clean dependency:list
// install` with the local repository in the app's build cache, so a warm build downloads nothing. Gradle apps are
// detected and refused with the reason (no Gradle distribution can be had on these machines).
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {Buildpack, StepContext} from '../buildpack.js'

import {readConfined} from '../confined.js'
import {BuildError} from '../run.js'
import {BUILD_JVM_FLAGS, selectJdk, writeJvmProfile} from './jdk.js'
import {detail, emptyRelease, exists, probe} from './steps.js'

/** Heroku's detection: a POM in any of Maven's (polyglot) formats. */
const POM_FILES = ['pom.xml', 'pom.atom', 'pom.clj', 'pom.groovy', 'pom.rb', 'pom.scala', 'pom.yaml', 'pom.yml']

async function hasPom(dir: string): Promise<boolean> {
  for (const file of POM_FILES) if (await exists(dir, file, 'file')) return true
  return false
}

/** A config var of the app (ENV_DIR holds one file per var), as Heroku's buildpack reads MAVEN_CUSTOM_*. */
async function configVar(ctx: StepContext, name: string): Promise<string | undefined> {
  return readConfined(ctx.envDir, name, 64 * 1024)
}

/** `./mvnw` when it is an executable file of the app, else `mvn` from the platform (undefined when neither). */
async function mavenCommand(ctx: StepContext, env: NodeJS.ProcessEnv): Promise<{command: string; label: string} | undefined> {
  if ((await exists(ctx.buildDir, 'mvnw', 'file')) && (await probe(ctx, 'test', ['-x', 'mvnw'], env)) !== undefined) {
    return {command: join(ctx.buildDir, 'mvnw'), label: 'Maven wrapper (./mvnw)'}
  }

  const version = await probe(ctx, 'mvn', ['-v'], env)
  if (version === undefined) return undefined
  return {command: 'mvn', label: `the platform's Maven ${/Apache Maven (\S+)/.exec(version)?.[1] ?? ''}`.trim()}
}

export const javaBuildpack: Buildpack = {
  async compile(ctx) {
    ctx.log('-----> Installing JDK')
    const {jdk, requested} = await selectJdk(ctx.buildDir)
    ctx.log(`       java.runtime.version (system.properties): ${requested ?? 'unspecified'}`)
    ctx.log(`       Using OpenJDK ${jdk.version} (${jdk.home})`)
    const repo = join(ctx.cacheDir, '.m2', 'repository')
    await mkdir(repo, {recursive: true})
    await mkdir(join(ctx.cacheDir, 'jvm-home'), {recursive: true})
    const env: NodeJS.ProcessEnv = {
      ...ctx.env,
      JAVA_HOME: jdk.home,
      // The JVM's user.home comes from root's passwd entry (/root: absent and read-only in the sandbox), not $HOME:
      // plugins writing there (scala-maven-plugin's zinc compiler bridge in ~/.sbt) get a dir in the build cache.
      MAVEN_OPTS: `${BUILD_JVM_FLAGS} -Duser.home=${join(ctx.cacheDir, 'jvm-home')}`,
      // Where ./mvnw keeps the Maven it downloads: the build cache, like the repository.
      MAVEN_USER_HOME: join(ctx.cacheDir, '.m2'),
      PATH: `${jdk.home}/bin:${ctx.env.PATH ?? '/usr/bin:/bin'}`,
    }
    const maven = await mavenCommand(ctx, env)
    if (!maven) throw new BuildError('Maven is not installed on this platform and the app has no executable ./mvnw: install Maven (apt-get install maven) or commit the Maven wrapper.')
    const goals = (await configVar(ctx, 'MAVEN_CUSTOM_GOALS'))?.trim() || 'clean dependency:list install'
    const opts = (await configVar(ctx, 'MAVEN_CUSTOM_OPTS'))?.trim() || '-DskipTests'
    const args = ['-B', '-Dstyle.color=never', `-Dmaven.repo.local=${repo}`, ...opts.split(/\s+/), ...goals.split(/\s+/)]
    ctx.log(`-----> Executing Maven with ${maven.label}`)
    ctx.log(`       $ ${maven.command === 'mvn' ? 'mvn' : './mvnw'} ${[...opts.split(/\s+/), ...goals.split(/\s+/)].join(' ')}`)
    await detail(ctx, maven.command, args, env, 'Failed to build app with Maven')
    await writeJvmProfile(ctx.buildDir, jdk)
    ctx.log('-----> Caching build')
    ctx.log('       Maven repository kept for the next build')
  },
  async detect(ctx) {
    return (await hasPom(ctx.buildDir)) ? 'Java' : null
  },
  name: 'heroku/java',
  async release(ctx) {
    const info = emptyRelease()
    // Heroku's heroku/java gives a default only to Spring Boot apps (one executable jar); others need a Procfile.
    const pom = await readConfined(ctx.buildDir, 'pom.xml', 4 * 1024 * 1024)
    if (pom?.includes('spring-boot-maven-plugin')) {
      info.default_process_types.web = 'java -Dserver.port=$PORT $JAVA_OPTS -jar target/*.jar'
    }

    return info
  },
  url: 'heroku/java',
}

/** Gradle apps (build.gradle, build.gradle.kts, gradlew): detected, and refused with the reason. */
export const gradleBuildpack: Buildpack = {
  async compile() {
    throw new BuildError('Gradle is not available on this platform: ./gradlew downloads Gradle from services.gradle.org, which this machine cannot reach, ' +
        "and Debian's gradle package (4.4) cannot run on Java 17. Build the app with Maven (pom.xml) instead.")
  },
  async detect(ctx) {
    for (const file of ['gradlew', 'build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts']) {
      if (await exists(ctx.buildDir, file, 'file')) return 'Gradle'
    }

    return null
  },
  name: 'heroku/gradle',
  async release() {
    return emptyRelease()
  },
  url: 'heroku/gradle',
}
