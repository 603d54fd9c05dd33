// One-off dynos (`ferry run`, the release phase's `release.N`): a `run.NNNN` dyno from the app's current (or a
// given) release, never restarted. Its combined output goes to the caller (attached: backpressure reaches the
// process) or to the app's log (detached); its exit status resolves the handle's `exit`.
import {randomInt} from 'node:crypto'
import {PassThrough, type Readable} from 'node:stream'

import type {DesiredApp, OneOffHandle, OneOffOptions} from '../context.js'
import type {DynoLifecycle} from './lifecycle.js'
import type {ReleaseFiles} from './release-files.js'
import type {OneOffIo, SupervisorDeps, SupervisorState} from './state.js'

import {readLines} from './dyno.js'

export interface OneOffParts {
  deps: Pick<SupervisorDeps, 'desired'>
  files: ReleaseFiles
  lifecycle: DynoLifecycle
  state: SupervisorState
}

/** stdout + stderr into `output` (ended once both close); an attached caller that reads slowly pauses the process. */
function connectOutput(output: PassThrough, attach: boolean, stdout: Readable, stderr: Readable): void {
  let open = 2
  for (const stream of [stdout, stderr]) {
    stream.on('data', (chunk: Buffer) => {
      if (!output.write(chunk) && attach) {
        stream.pause()
        output.once('drain', () => stream.resume())
      }
    })
    stream.on('close', () => {
      if (--open === 0) output.end()
    })
    stream.on('error', () => {})
  }
}

export class OneOffs {
  constructor(private readonly parts: OneOffParts) {}

  async start(options: OneOffOptions & {release?: DesiredApp['release']}): Promise<OneOffHandle> {
    const {deps, files, lifecycle, state} = this.parts
    if (state.shuttingDown) throw Object.assign(new Error('The platform is shutting down.'), {kind: 'Unavailable'})
    const desired = deps.desired(options.appId)
    if (!desired) throw Object.assign(new Error("Couldn't find that app."), {kind: 'NotFound'})
    const release = options.release ?? desired.release
    if (!release) throw Object.assign(new Error('App has no release with a slug yet: deploy it first.'), {kind: 'Conflict'})
    const app = state.runtime(options.appId, desired.appName)
    const type = options.type ?? 'run'
    let name: string
    do name = `${type}.${randomInt(1000, 10_000)}`
    while (app.dynos.has(name))
    let exit!: (status: number) => void
    const exitPromise = new Promise<number>(resolve => {
      exit = resolve
    })
    const output = new PassThrough()
    if (!options.attach) output.resume()
    const rec = state.newRecord(app, options.appId, name, type, options.command, 'Basic', release)
    const io: OneOffIo = {
      connect(stdout, stderr) {
        connectOutput(output, options.attach, stdout, stderr)
        if (!options.attach) readLines(output, line => state.appLine(rec, line))
      },
      env: options.env ?? {},
      exit,
    }
    rec.oneOff = io
    app.dynos.set(name, rec)
    state.web.changed()
    await files.slugs.ensure(release.id, release.slugPath).catch(error => {
      app.dynos.delete(name)
      state.web.changed()
      throw error
    })
    await lifecycle.launch(rec)
    const child = rec.proc?.child
    const stdin = child?.stdin ?? new PassThrough()
    stdin.on('error', () => {})
    return {
      dyno: state.toDyno(rec),
      exit: exitPromise,
      output,
      stdin,
      stop: () => lifecycle.stop(rec),
    }
  }
}
