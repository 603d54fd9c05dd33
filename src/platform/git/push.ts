// Pushes through the platform: one smart-HTTP request for an app's repository (a push gets a one-time session whose
// secret only its pre-receive hook learns), and the hook's callback — the push policy (only main or master deploys,
// one of them at a time, never a deletion), the deploy with its output streamed back to `git push`, and HEAD
// following the deployed branch. One GitService per platform, a member of the context (ctx.git()).
import type {IncomingMessage, ServerResponse} from 'node:http'

import type {PlatformContext} from '../context.js'

import {DeployBusyError} from '../deploy/index.js'
import {apiUrl, gitUrl} from '../urls.js'
import {DEPLOY_BRANCHES, ensureRepo, parseRefUpdates, type PushSession, PushSessions, quarantineEnv, runHttpBackend, ZERO_SHA} from './index.js'
import {runGit} from './run.js'

/** What the hook posts: its ref updates (`old new ref` lines) and git's quarantine paths. */
export interface HookBody {
  env?: unknown
  refs?: unknown
}

/** Where the hook's answer goes: lines for `git push` to show as `remote:` lines, and the exit status last. */
export interface HookReply {
  end(status: number): void
  say(line: string): void
  write(text: string): void
}

export class GitService {
  private readonly sessions = new PushSessions()

  constructor(private readonly ctx: PlatformContext) {}

  /** Serves one smart-HTTP request (`rest`: /info/refs, /git-receive-pack, /git-upload-pack) for an app's repository. */
  async serve(req: IncomingMessage, res: ServerResponse, appId: string, rest: string): Promise<void> {
    const {ctx} = this
    const repoDir = await ensureRepo(ctx, appId)
    const secret = rest === '/git-receive-pack' ? this.sessions.open({appId, repoDir}) : undefined
    try {
      await runHttpBackend(req, res, {gitHome: ctx.paths.gitHome, hookUrl: `${apiUrl(ctx.config)}/ferry/git-hook/pre-receive`, repoDir, rest, secret})
    } finally {
      if (secret) this.sessions.close(secret)
    }
  }

  /** The push a hook's secret belongs to (once); undefined for an unknown or used secret. */
  takeSession(secret: string | undefined): PushSession | undefined {
    return this.sessions.take(secret)
  }

  /** The pre-receive hook's callback for a push: checks its ref updates, deploys, answers with the exit status. */
  async receive(session: PushSession, body: HookBody, reply: HookReply): Promise<void> {
    const {ctx} = this
    const {say} = reply
    const app = ctx.store.findApp(session.appId)
    if (!app) {
      say(" !     Couldn't find that app.")
      return reply.end(1)
    }

    const updates = parseRefUpdates(typeof body.refs === 'string' ? body.refs : '')
    const deployRefs = new Set(DEPLOY_BRANCHES.map(b => `refs/heads/${b}`))
    const others = updates.filter(u => !deployRefs.has(u.ref))
    if (others.length > 0 || updates.length === 0) {
      const names = others.map(u => u.ref.replace(/^refs\/heads\//, '')).join(', ')
      say(` !     Pushed to ${names || 'nothing'}: only the main and master branches deploy on ferry.`)
      say(` !     Deploy another branch with: git push ferry ${others[0]?.ref.replace(/^refs\/heads\//, '') || 'BRANCH'}:main`)
      return reply.end(1)
    }

    if (updates.length > 1) {
      say(' !     Push either main or master, not both at once.')
      return reply.end(1)
    }

    const [update] = updates
    if (ZERO_SHA.test(update.newSha)) {
      say(` !     Deleting ${update.ref.replace('refs/heads/', '')} is not allowed: it is the deployed branch.`)
      return reply.end(1)
    }

    const gitEnv = quarantineEnv(session.repoDir, body.env)
    const home = ctx.paths.gitHome
    const deploy = await ctx.deploy()
    let handle
    try {
      const subject = await runGit(['show', '-s', '--format=%s', update.newSha], {env: {...gitEnv, GIT_DIR: session.repoDir}, home})
      handle = deploy.start({
        appId: app.id,
        source: {gitEnv, kind: 'git', repoDir: session.repoDir, sha: update.newSha},
        sourceBlob: {url: gitUrl(ctx.config, app.name), version: update.newSha, version_description: subject.code === 0 ? subject.stdout.trim() || null : null},
      })
    } catch (error) {
      if (error instanceof DeployBusyError) {
        say(` !     ${error.message}`)
        return reply.end(1)
      }

      throw error
    }

    const unfollow = await deploy.outputs.follow(handle.build.id, handle.build.outputPath, {onEnd() {}, onText: text => reply.write(text)})
    const outcome = await handle.done
    unfollow()
    if (!outcome.ok) {
      say(` !     Push rejected to ${app.name}.`)
      return reply.end(1)
    }

    await runGit(['symbolic-ref', 'HEAD', update.ref], {env: {GIT_DIR: session.repoDir}, home})
    reply.end(0)
  }
}
