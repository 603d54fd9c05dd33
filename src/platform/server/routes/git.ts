// Smart-HTTP git on the API port (`/<app>.git/...`) and the pre-receive hook's callback that runs the deploy.
import type {PlatformContext} from '../../context.js'
import type {Ctx, Router} from '../http.js'

import {DeployBusyError} from '../../deploy/index.js'
import {
  basicAuthOk,
  DEPLOY_BRANCHES,
  ensureRepo,
  HOOK_EXIT_MARKER,
  parseRefUpdates,
  PushSessions,
  quarantineEnv,
  runHttpBackend,
  ZERO_SHA,
} from '../../git/index.js'
import {runGit} from '../../git/run.js'
import {apiUrl, gitUrl} from '../../urls.js'

function deny(c: Ctx, status: number, message: string, headers: Record<string, string> = {}): undefined {
  const body = JSON.stringify({id: status === 401 ? 'unauthorized' : 'not_found', message})
  c.res.writeHead(status, {'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json; charset=utf-8', ...headers})
  c.res.end(body)
  return undefined
}

async function commitSubject(home: string, repoDir: string, sha: string, gitEnv: Record<string, string>): Promise<null | string> {
  const {code, stdout} = await runGit(['show', '-s', '--format=%s', sha], {env: {...gitEnv, GIT_DIR: repoDir}, home})
  return code === 0 ? stdout.trim() || null : null
}

export function registerGitRoutes(router: Router, ctx: PlatformContext): void {
  const sessions = new PushSessions()
  const hookUrl = () => `${apiUrl(ctx.config)}/ferry/git-hook/pre-receive`

  const serve = (rest: string) => async (c: Ctx) => {
    const m = /^(.+)\.git$/.exec(c.params.repo)
    if (!m) return deny(c, 404, 'Not a git repository URL: use /<app>.git.')
    if (!basicAuthOk(c.req, ctx.config.token)) {
      c.req.resume()
      return deny(c, 401, 'Invalid credentials provided.', {'WWW-Authenticate': 'Basic realm="ferry"'})
    }

    const app = ctx.store.findApp(m[1])
    if (!app) {
      c.req.resume()
      return deny(c, 404, "Couldn't find that app.")
    }

    const repoDir = await ensureRepo(ctx, app.id)
    const push = rest === '/git-receive-pack'
    const secret = push ? sessions.open({appId: app.id, repoDir}) : undefined
    try {
      await runHttpBackend(c.req, c.res, {gitHome: ctx.paths.gitHome, hookUrl: hookUrl(), repoDir, rest, secret})
    } finally {
      if (secret) sessions.close(secret)
    }

    return undefined
  }

  router.get('/:repo/info/refs', serve('/info/refs'), {auth: false, body: 'raw'})
  router.post('/:repo/git-receive-pack', serve('/git-receive-pack'), {auth: false, body: 'raw'})
  router.post('/:repo/git-upload-pack', serve('/git-upload-pack'), {auth: false, body: 'raw'})

  router.post(
    '/ferry/git-hook/pre-receive',
    async c => {
      const header = c.req.headers['x-ferry-push-secret']
      const session = sessions.take(Array.isArray(header) ? header[0] : header)
      if (!session) return deny(c, 404, 'Unknown push.')
      const body = (c.body ?? {}) as {env?: unknown; refs?: unknown}
      const updates = parseRefUpdates(typeof body.refs === 'string' ? body.refs : '')
      c.res.writeHead(200, {'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8'})
      const say = (line: string) => c.res.write(`${line}\n`)
      const exit = (code: number) => {
        c.res.end(`${HOOK_EXIT_MARKER}${code}\n`)
        return undefined
      }

      const app = ctx.store.findApp(session.appId)
      if (!app) {
        say(" !     Couldn't find that app.")
        return exit(1)
      }

      const deployRefs = new Set(DEPLOY_BRANCHES.map(b => `refs/heads/${b}`))
      const others = updates.filter(u => !deployRefs.has(u.ref))
      if (others.length > 0 || updates.length === 0) {
        const names = others.map(u => u.ref.replace(/^refs\/heads\//, '')).join(', ')
        say(` !     Pushed to ${names || 'nothing'}: only the main and master branches deploy on ferry.`)
        say(` !     Deploy another branch with: git push ferry ${others[0]?.ref.replace(/^refs\/heads\//, '') || 'BRANCH'}:main`)
        return exit(1)
      }

      if (updates.length > 1) {
        say(' !     Push either main or master, not both at once.')
        return exit(1)
      }

      const [update] = updates
      if (ZERO_SHA.test(update.newSha)) {
        say(` !     Deleting ${update.ref.replace('refs/heads/', '')} is not allowed: it is the deployed branch.`)
        return exit(1)
      }

      const gitEnv = quarantineEnv(session.repoDir, body.env)
      const service = await ctx.deploy()
      let handle
      try {
        handle = service.start({
          appId: app.id,
          source: {gitEnv, kind: 'git', repoDir: session.repoDir, sha: update.newSha},
          sourceBlob: {url: gitUrl(ctx.config, app.name), version: update.newSha, version_description: await commitSubject(ctx.paths.gitHome, session.repoDir, update.newSha, gitEnv)},
        })
      } catch (error) {
        if (error instanceof DeployBusyError) {
          say(` !     ${error.message}`)
          return exit(1)
        }

        throw error
      }

      const unfollow = await service.outputs.follow(handle.build.id, handle.build.outputPath, {
        onEnd() {},
        onText: text => c.res.write(text),
      })
      const outcome = await handle.done
      unfollow()
      if (outcome.ok) {
        await runGit(['symbolic-ref', 'HEAD', update.ref], {env: {GIT_DIR: session.repoDir}, home: ctx.paths.gitHome})
        return exit(0)
      }

      say(` !     Push rejected to ${app.name}.`)
      return exit(1)
    },
    {auth: false},
  )
}
