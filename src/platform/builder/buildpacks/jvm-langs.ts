// Clojure with Leiningen (Debian's leiningen package; dependencies from Maven Central, Clojars is unreachable) as
// Heroku's heroku/clojure builds it; Clojure CLI (deps.edn) and Scala (sbt) apps are detected and refused with the
// reason. The same languages built with Maven (clojure-maven-plugin, scala-maven-plugin from Maven Central) have a
// pom.xml and go to the Java buildpack: these step aside then.
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {Buildpack, StepContext} from '../buildpack.js'

import {readConfined} from '../confined.js'
import {BuildError} from '../run.js'
import {BUILD_JVM_FLAGS, selectJdk, writeJvmProfile} from './jdk.js'
import {detail, emptyRelease, exists, probe} from './steps.js'

async function firstFile(ctx: StepContext, files: string[]): Promise<string | undefined> {
  for (const file of files) if (await exists(ctx.buildDir, file, 'file')) return file
  return undefined
}

/** A buildpack that detects `files` (unless the app has a pom.xml) and fails its build with `reason`. */
function unavailable(name: string, description: string, files: string[], reason: string): Buildpack {
  return {
    async compile() {
      throw new BuildError(reason)
    },
    async detect(ctx) {
      if (await exists(ctx.buildDir, 'pom.xml', 'file')) return null
      return (await firstFile(ctx, files)) === undefined ? null : description
    },
    name,
    async release() {
      return emptyRelease()
    },
    url: name,
  }
}

const MAVEN_HINT = 'or build the app with Maven (a pom.xml: the Java buildpack builds it with the host JDK and Maven Central)'

const clojureCli = unavailable('heroku/clojure', 'Clojure', ['deps.edn'], `The Clojure CLI (deps.edn) is not available on this platform: it is not set up here (its installer comes from download.clojure.org, which this machine cannot reach). Use Leiningen (project.clj) ${MAVEN_HINT}.`)

export const clojureBuildpack: Buildpack = {
  async compile(ctx) {
    if (!(await exists(ctx.buildDir, 'project.clj', 'file'))) return clojureCli.compile(ctx)
    ctx.log('-----> Installing JDK')
    const {jdk, requested} = await selectJdk(ctx.buildDir)
    ctx.log(`       java.runtime.version (system.properties): ${requested ?? 'unspecified'}`)
    ctx.log(`       Using OpenJDK ${jdk.version} (${jdk.home})`)
    // Leiningen keeps its repository in ~/.m2 of the JVM's user.home (root's passwd entry, not $HOME) and its own files
    // in LEIN_HOME: both in the build cache.
    const leinHome = join(ctx.cacheDir, 'lein-home')
    await mkdir(leinHome, {recursive: true})
    const env: NodeJS.ProcessEnv = {
      ...ctx.env,
      JAVA_HOME: jdk.home,
      LEIN_HOME: join(leinHome, '.lein'),
      // Leiningen's own JVM, and (JVM_OPTS) the project JVM it starts to compile.
      JVM_OPTS: BUILD_JVM_FLAGS,
      LEIN_JVM_OPTS: `${BUILD_JVM_FLAGS} -Duser.home=${leinHome}`,
      PATH: `${jdk.home}/bin:${ctx.env.PATH ?? '/usr/bin:/bin'}`,
    }
    // The version from the launcher script (`export LEIN_VERSION="2.10.0"`, in Debian's and upstream's): `lein version`
    // would start a JVM only to print it (1.5–5 s here).
    const version = await probe(ctx, 'sh', ['-c', 'lein=$(command -v lein) && sed -n \'s/^export LEIN_VERSION="\\(.*\\)"$/ \\1/p\' "$lein"'], env)
    if (version === undefined) throw new BuildError('Leiningen is not installed on this platform: install it with apt-get install leiningen.')
    ctx.log(`       Using the platform's Leiningen${version.trim() ? ` ${version.trim()}` : ''}`)
    const project = (await readConfined(ctx.buildDir, 'project.clj', 1024 * 1024)) ?? ''
    // Heroku's rule: an uberjar when project.clj names one, else the production profile's AOT compile.
    const args = project.includes(':uberjar-name') ? ['uberjar'] : ['with-profile', 'production', 'compile', ':all']
    ctx.log('-----> Building with Leiningen')
    ctx.log(`       $ lein ${args.join(' ')}`)
    await detail(ctx, 'lein', args, env, 'Failed to build app with Leiningen')
    await writeJvmProfile(ctx.buildDir, jdk)
    ctx.log('-----> Caching build')
    ctx.log('       Leiningen repository kept for the next build')
  },
  async detect(ctx) {
    if (await exists(ctx.buildDir, 'pom.xml', 'file')) return null
    return (await exists(ctx.buildDir, 'project.clj', 'file')) ? 'Clojure (Leiningen)' : clojureCli.detect(ctx)
  },
  name: 'heroku/clojure',
  async release() {
    // Heroku's default (`lein trampoline run`) needs Leiningen and the repository in the dyno: ferry sets none.
    return emptyRelease()
  },
  url: 'heroku/clojure',
}

export const scalaBuildpack = unavailable('heroku/scala', 'Scala', ['build.sbt', 'project/build.properties'], 'sbt is not available on this platform: Debian has no sbt package and ferry does not fetch sbt\'s launcher. Build the app with Maven (a pom.xml with scala-maven-plugin: the Java buildpack builds it with the host JDK and Maven Central).')
