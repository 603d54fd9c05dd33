// Smart-HTTP git on the API port (`/<app>.git/...`) and the pre-receive hook's callback that runs the deploy. The
// HTTP side only: authentication, the app, the answer's framing; the push policy and the sessions are git/push.ts's.
import type {PlatformContext} from '../../context.js'
import type {Ctx, Router} from '../http.js'

import {basicAuthOk, HOOK_EXIT_MARKER} from '../../git/index.js'
import type {HookBody} from '../../git/push.js'

function deny(c: Ctx, status: number, message: string, headers: Record<string, string> = {}): undefined {
  const body = JSON.stringify({id: status === 401 ? 'unauthorized' : 'not_found', message})
  c.res.writeHead(status, {'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json; charset=utf-8', ...headers})
  c.res.end(body)
  return undefined
}

export function registerGitRoutes(router: Router, ctx: PlatformContext): void {
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

    await (await ctx.git()).serve(c.req, c.res, app.id, rest)
    return undefined
  }

  router.get('/:repo/info/refs', serve('/info/refs'), {auth: false, body: 'raw'})
  router.post('/:repo/git-receive-pack', serve('/git-receive-pack'), {auth: false, body: 'raw'})
  router.post('/:repo/git-upload-pack', serve('/git-upload-pack'), {auth: false, body: 'raw'})

  router.post(
    '/ferry/git-hook/pre-receive',
    async c => {
      const git = await ctx.git()
      const header = c.req.headers['x-ferry-push-secret']
      const session = git.takeSession(Array.isArray(header) ? header[0] : header)
      if (!session) return deny(c, 404, 'Unknown push.')
      c.res.writeHead(200, {'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8'})
      await git.receive(session, (c.body ?? {}) as HookBody, {
        end: status => c.res.end(`${HOOK_EXIT_MARKER}${status}\n`),
        say: line => c.res.write(`${line}\n`),
        write: text => c.res.write(text),
      })
      return undefined
    },
    {auth: false},
  )
}
