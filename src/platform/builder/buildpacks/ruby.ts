// Ruby with Bundler, as Heroku's heroku/ruby: the host's ruby and bundler (Debian's ruby and ruby-bundler packages),
// `bundle install` in deployment mode without the development and test groups into vendor/bundle (in the slug),
// vendor/bundle restored from and saved to the app's build cache so a warm build installs nothing new.
import {join} from 'node:path'

import type {Buildpack} from '../buildpack.js'

import {readConfined, writeConfined} from '../confined.js'
import {BuildError} from '../run.js'
import {detail, emptyRelease, exists, probe, shell} from './steps.js'

/** Where vendor/bundle is kept between builds, inside the app's cache dir. */
const CACHE_BUNDLE = join('ruby', 'vendor-bundle')

const BUNDLE_CONFIG = '---\nBUNDLE_DEPLOYMENT: "true"\nBUNDLE_PATH: "vendor/bundle"\nBUNDLE_WITHOUT: "development:test"\nBUNDLE_BIN: "vendor/bundle/bin"\n'

/** `3.1.2` from `.ruby-version` contents such as `ruby-3.1.2`, `3.1.2`, `3.1`; undefined for other engines or none. */
export function rubyVersionWanted(text: string): string | undefined {
  const line = text.split('\n').map(l => l.trim()).find(l => l !== '' && !l.startsWith('#'))
  return line ? /^(?:ruby-)?(\d+(?:\.\d+){0,2})(?:-p\d+)?$/.exec(line)?.[1] : undefined
}

/** true when the host's ruby satisfies a .ruby-version (`3.1` accepts 3.1.x, `3.1.2` only 3.1.2). */
export function rubyVersionMatches(host: string, wanted: string): boolean {
  const have = host.split('.')
  return wanted.split('.').every((part, i) => have[i] === part)
}

export const rubyBuildpack: Buildpack = {
  async compile(ctx) {
    ctx.log('-----> Installing Ruby')
    const host = (await probe(ctx, 'ruby', ['-e', 'print RUBY_VERSION']))?.trim()
    if (!host) throw new BuildError('Ruby is not installed on this platform: install it with apt-get install ruby ruby-bundler.')
    const versionFile = await readConfined(ctx.buildDir, '.ruby-version', 4096)
    if (versionFile !== undefined) {
      const wanted = rubyVersionWanted(versionFile)
      if (wanted === undefined) throw new BuildError(`.ruby-version "${versionFile.trim()}" names no MRI Ruby version (write e.g. ${host}).`)
      if (!rubyVersionMatches(host, wanted)) {
        throw new BuildError(`.ruby-version asks for Ruby ${wanted}, which this platform does not have: it has Ruby ${host}. Change .ruby-version to ${host} (or remove it).`)
      }
    }

    ctx.log(`       .ruby-version: ${versionFile === undefined ? 'unspecified' : versionFile.trim()}`)
    const bundler = (await probe(ctx, 'bundle', ['--version']))?.trim()
    if (!bundler) throw new BuildError('Bundler is not installed on this platform: install it with apt-get install ruby-bundler.')
    ctx.log(`       Using the platform's Ruby ${host} and ${bundler}`)
    if (!(await exists(ctx.buildDir, 'Gemfile.lock', 'file'))) {
      throw new BuildError('Gemfile.lock is required: run "bundle install" (or "bundle lock") locally, commit Gemfile.lock and push again.')
    }

    ctx.log('-----> Installing dependencies using bundler')
    const cached = join(ctx.cacheDir, CACHE_BUNDLE)
    const bundle = join(ctx.buildDir, 'vendor', 'bundle')
    // Restore the previous build's gems (cp inside the sandbox: the cache is written by app code).
    await shell(ctx, 'if [ -d "$1" ] && [ ! -e "$2" ]; then mkdir -p "$(dirname "$2")" && cp -a "$1" "$2"; fi', [cached, bundle], 'Restoring the bundler cache failed')
    const env: NodeJS.ProcessEnv = {...ctx.env, BUNDLE_SILENCE_ROOT_WARNING: '1', BUNDLE_USER_CACHE: join(ctx.cacheDir, 'ruby', 'bundler'), BUNDLE_USER_HOME: join(ctx.cacheDir, 'ruby', 'bundler-home')}
    // What `bundle config set --local deployment true / path / without / bin` writes, in one file (four Ruby start-ups
    // less); an app's own .bundle/config is replaced, as on Heroku. It ships in the slug: `bundle exec` reads it.
    if (await exists(ctx.buildDir, '.bundle/config', 'file')) ctx.log('       Replacing the app\'s .bundle/config with the platform\'s settings')
    await writeConfined(ctx.buildDir, '.bundle/config', BUNDLE_CONFIG)

    ctx.log('       $ BUNDLE_WITHOUT=development:test bundle install --jobs=4 --retry=3 (deployment mode)')
    await detail(ctx, 'bundle', ['install', '--jobs=4', '--retry=3'], env, 'Failed to install gems via Bundler')
    await detail(ctx, 'bundle', ['clean'], env, 'bundle clean failed')
    await shell(ctx, 'rm -rf "$1" && if [ -d "$2" ]; then mkdir -p "$(dirname "$1")" && cp -a "$2" "$1"; fi', [cached, bundle], 'Saving the bundler cache failed')
    const abi = (await probe(ctx, 'ruby', ['-e', 'print RbConfig::CONFIG["ruby_version"]']))?.trim() ?? `${host.split('.').slice(0, 2).join('.')}.0`
    // Heroku's runtime environment for Ruby apps; an app's own config vars win.
    /* eslint-disable no-template-curly-in-string -- shell syntax, not templates */
    const profile = [
      `export GEM_PATH="$HOME/vendor/bundle/ruby/${abi}\${GEM_PATH:+:$GEM_PATH}"`,
      `export PATH="$HOME/bin:$HOME/vendor/bundle/bin:$HOME/vendor/bundle/ruby/${abi}/bin:$PATH"`,
      'export LANG="${LANG:-en_US.UTF-8}"',
      'export RACK_ENV="${RACK_ENV:-production}"',
      'export RAILS_ENV="${RAILS_ENV:-production}"',
      'export BUNDLE_WITHOUT="${BUNDLE_WITHOUT:-development:test}"',
      // Dynos run as root in their sandbox, which is not the shared machine Bundler warns about.
      'export BUNDLE_SILENCE_ROOT_WARNING=1',
      '',
    ]
    /* eslint-enable no-template-curly-in-string */
    await writeConfined(ctx.buildDir, '.profile.d/ruby.sh', profile.join('\n'))
    ctx.log('-----> Caching build')
    ctx.log('       vendor/bundle kept for the next build')
  },
  async detect(ctx) {
    return (await exists(ctx.buildDir, 'Gemfile', 'file')) ? 'Ruby' : null
  },
  name: 'heroku/ruby',
  async release(ctx) {
    const info = emptyRelease()
    // Heroku's default for Rack apps (Rails apps are Rack apps with a config.ru too).
    if (await exists(ctx.buildDir, 'config.ru', 'file')) {
      // eslint-disable-next-line no-template-curly-in-string -- shell syntax, not a template
      info.default_process_types.web = 'bundle exec rackup config.ru -p ${PORT:-5000}'
    }

    return info
  },
  url: 'heroku/ruby',
}
