import {Flags} from '@oclif/core'
import {readFile} from 'node:fs/promises'

import {FerryCommand} from '../../cli/base.js'
import {buildpackArgument, packSource} from '../../cli/builds.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'

export default class BuildsCreate extends FerryCommand {
  static description = 'build and release a source directory or tarball without git (streams the build output)'
  static examples = ['$ ferry builds:create --dir . -a demo --version 1.2.3', '$ ferry builds:create --source-url https://example.com/app.tgz -a demo']
  static flags = {
    json,
    ...appFlags,
    buildpack: Flags.string({char: 'b', description: 'buildpack for this build only (URL, directory or registry name)', multiple: true}),
    dir: Flags.string({char: 'd', description: 'source directory to upload (default: the current directory)', exclusive: ['source-tar', 'source-url']}),
    'source-tar': Flags.string({description: 'a .tgz of the source to upload', exclusive: ['dir', 'source-url']}),
    'source-url': Flags.string({description: 'URL of a .tgz of the source', exclusive: ['dir', 'source-tar']}),
    version: Flags.string({char: 'v', description: 'version label for the build (e.g. a commit sha)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(BuildsCreate)
    const app = await this.resolveApp(flags)
    let url = flags['source-url']
    if (url !== undefined && !/^(https?|file):\/\//.test(url)) throw new InputError(`--source-url ${url} is not an http(s) or file:// URL.`)
    if (url === undefined) {
      let data: Buffer
      if (flags['source-tar']) {
        try {
          data = await readFile(flags['source-tar'])
        } catch {
          throw new InputError(`Cannot read ${flags['source-tar']}: pass an existing .tgz with --source-tar.`)
        }
      } else {
        data = await packSource(flags.dir ?? '.')
      }

      const source = await this.api.sources.create()
      process.stderr.write(`Uploading source (${Math.ceil(data.length / 1024)} KB)... `)
      await this.api.sources.upload(source.source_blob.put_url, data)
      process.stderr.write('done\n')
      url = source.source_blob.get_url
    }

    const build = await this.api.builds.create(app, {
      ...(flags.buildpack ? {buildpacks: flags.buildpack.map(b => ({url: buildpackArgument(b)}))} : {}),
      source_blob: {url, version: flags.version ?? ''},
    })
    await this.api.builds.streamOutput(build.output_stream_url, text => process.stderr.write(text))
    const done = await this.api.builds.info(app, build.id)
    if (done.status === 'failed') {
      process.stderr.write(' ›   Error: Build failed\n')
      this.exit(1)
    }

    if (flags.json) this.log(toJson(done))
    if (done.release) {
      const release = await this.api.releases.info(app, done.release.id)
      if (release.status === 'failed') {
        process.stderr.write(` ›   Error: Release v${release.version} failed (release command)\n`)
        this.exit(1)
      }
    }
  }
}
