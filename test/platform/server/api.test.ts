import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {createApp as createAppIn, type Harness, json, startHarness, TOKEN} from './harness.js'

let h: Harness

const createApp = (name: string) => createAppIn(h, name)

/** Deploys a slug with these process types through the API (POST slugs + POST releases). */
async function deploy(app: string, processTypes: Record<string, string>): Promise<any> {
  const slug = await json(await h.request('POST', `/apps/${app}/slugs`, {body: {commit: 'abcdef0123456789', process_types: processTypes}}))
  const res = await h.request('POST', `/apps/${app}/releases`, {body: {slug: slug.id}})
  expect(res.status).toBe(201)
  return json(res)
}

describe('Platform API server', () => {
  beforeAll(async () => {
    h = await startHarness()
  })

  afterAll(async () => {
    await h.close()
  })

  describe('protocol', () => {
    it('rejects requests without or with a wrong token (401), accepts Bearer and Basic', async () => {
      for (const authorization of [undefined, 'Bearer nope', 'Basic ' + Buffer.from(':nope').toString('base64'), 'Token ' + TOKEN]) {
        const headers: Record<string, string> = {Accept: 'application/vnd.heroku+json; version=3'}
        if (authorization) headers.Authorization = authorization
        const res = await fetch(`${h.url}/account`, {headers})
        expect(res.status).toBe(401)
        expect(await json(res)).toEqual({id: 'unauthorized', message: 'Invalid credentials provided.'})
      }

      const basic = await fetch(`${h.url}/account`, {headers: {Authorization: 'Basic ' + Buffer.from(`heroku:${TOKEN}`).toString('base64')}})
      expect(basic.status).toBe(200)
      expect((await json(basic)).email).toBe('dev@ferry.local')
    })

    it('accepts v3 and its variants (or no Accept), answers 406 to other versions', async () => {
      for (const accept of ['application/vnd.heroku+json; version=3.sdk', 'application/vnd.heroku+json; version=3.account-quotas', '*/*']) {
        expect((await h.request('GET', '/account', {headers: {Accept: accept}})).status).toBe(200)
      }

      const res = await h.request('GET', '/account', {headers: {Accept: 'application/vnd.heroku+json; version=2'}})
      expect(res.status).toBe(406)
      expect((await json(res)).id).toBe('not_acceptable')
    })

    it('sends Request-Id (first of a list), RateLimit-Remaining and a JSON content type', async () => {
      const res = await h.request('GET', '/account', {headers: {'Request-Id': 'abc-123,older-1,older-2'}})
      expect(res.headers.get('request-id')).toBe('abc-123')
      expect(res.headers.get('ratelimit-remaining')).toMatch(/^\d+$/)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    })

    it('answers a malformed percent-escape in a path parameter with 400, not a 500 with a stack trace in the log', async () => {
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        for (const name of ['%E0%A4%A', '%zz', 'app%']) {
          const res = await h.request('GET', `/apps/${name}`)
          expect(res.status, name).toBe(400)
          const body = await json(res)
          expect(body.id).toBe('bad_request')
          expect(body.message).toMatch(/^Malformed percent-encoding in the request path/)
        }

        expect(logged).not.toHaveBeenCalled()
      } finally {
        logged.mockRestore()
      }
    })

    it('answers unknown endpoints with 404 and wrong methods with 405, in Heroku error shape', async () => {
      const missing = await h.request('GET', '/nope')
      expect(missing.status).toBe(404)
      expect((await json(missing)).id).toBe('not_found')
      const wrong = await h.request('PUT', '/account', {body: {}})
      expect(wrong.status).toBe(405)
    })
  })

  describe('apps', () => {
    it('creates with a name: web_url, git_url and v1/v2 releases', async () => {
      const app = await createApp('alpha')
      expect(app.web_url).toBe('http://alpha.localhost:5999/')
      expect(app.git_url).toBe(`${h.url}/alpha.git`)
      expect(app.owner.email).toBe('dev@ferry.local')
      const releases = await json(await h.request('GET', '/apps/alpha/releases'))
      expect(releases.map((r: any) => [r.version, r.description, r.current])).toEqual([[1, 'Initial release', false], [2, 'Enable Logplex', true]])
    })

    it('creates with a generated name when none is given (empty body or {})', async () => {
      const a = await json(await h.request('POST', '/apps'))
      const b = await json(await h.request('POST', '/apps', {body: {}}))
      expect(a.name).toMatch(/^[a-z]+-[a-z]+-\d{5}$/)
      expect(b.name).not.toBe(a.name)
      await h.request('DELETE', `/apps/${a.name}`)
      await h.request('DELETE', `/apps/${b.name}`)
    })

    it('rejects invalid names, duplicates, wrong types and unknown fields with 422, creating nothing', async () => {
      await createApp('taken')
      const before = (await json(await h.request('GET', '/apps'))).length
      const cases: Array<[unknown, RegExp]> = [
        [{name: 'Upper'}, /^Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes\.$/],
        [{name: '1abc'}, /^Name must start with a letter/],
        [{name: `a${'b'.repeat(30)}`}, /^Name must start with a letter/],
        [{name: 'taken'}, /^Name is already taken$/],
        [{name: 5}, /"name".*expected a string/],
        [{name: 'ok-name', colour: 'red'}, /Unknown field "colour"/],
        [{region: 'eu'}, /"region"/],
        [{stack: 'cedar-14'}, /"stack"/],
        [[1, 2], /expected a JSON object/],
      ]
      for (const [body, message] of cases) {
        const res = await h.request('POST', '/apps', {body})
        expect(res.status, JSON.stringify(body)).toBe(422)
        const error = await json(res)
        expect(error.id).toBe('invalid_params')
        expect(error.message).toMatch(message)
      }

      expect((await json(await h.request('GET', '/apps'))).length).toBe(before)
    })

    it('answers malformed JSON with 400 bad_request', async () => {
      const res = await h.request('POST', '/apps', {rawBody: '{"name": '})
      expect(res.status).toBe(400)
      expect(await json(res)).toEqual({id: 'bad_request', message: 'Request body is not valid JSON.'})
    })

    it('unknown app → 404 "Couldn\'t find that app." on every app route', async () => {
      const routes = [
        ['GET', '/apps/ghost'],
        ['GET', '/apps/ghost/config-vars'],
        ['GET', '/apps/ghost/releases'],
        ['GET', '/apps/ghost/formation'],
        ['GET', '/apps/ghost/dynos'],
        ['DELETE', '/apps/ghost'],
        ['GET', '/apps/ghost/addons'],
      ]
      for (const [method, path] of routes) {
        const res = await h.request(method, path)
        expect(res.status, path).toBe(404)
        expect(await json(res)).toEqual({id: 'not_found', message: "Couldn't find that app."})
      }
    })

    it('lists at /apps and /users/~/apps; info by name or id; renames; deletes (converging the app)', async () => {
      const app = await createApp('beta')
      expect((await json(await h.request('GET', '/users/~/apps'))).map((a: any) => a.name)).toContain('beta')
      expect((await json(await h.request('GET', `/apps/${app.id}`))).name).toBe('beta')
      const renamed = await json(await h.request('PATCH', '/apps/beta', {body: {name: 'gamma'}}))
      expect(renamed.web_url).toBe('http://gamma.localhost:5999/')
      expect((await h.request('PATCH', '/apps/gamma', {body: {name: 'Bad Name'}})).status).toBe(422)
      expect((await h.request('PATCH', '/apps/gamma', {body: {maintenance: 'yes'}})).status).toBe(422)
      h.supervisor.converges.length = 0
      const deleted = await h.request('DELETE', '/apps/gamma')
      expect(deleted.status).toBe(200)
      expect((await json(deleted)).id).toBe(app.id)
      expect(h.supervisor.converges).toEqual([app.id])
      expect((await h.request('GET', '/apps/gamma')).status).toBe(404)
    })

    it('delete also removes the app\'s slug tarballs, repository and build cache', async () => {
      const app = await createApp('files')
      const slug = await json(await h.request('POST', '/apps/files/slugs', {body: {process_types: {web: 'x'}}}))
      const files = [h.ctx.paths.slugFor(slug.id), h.ctx.paths.repoFor(app.id), h.ctx.paths.cacheFor(app.id)]
      mkdirSync(h.ctx.paths.slugs, {recursive: true})
      writeFileSync(files[0], 'tgz')
      mkdirSync(files[1], {recursive: true})
      mkdirSync(files[2], {recursive: true})
      expect((await h.request('DELETE', '/apps/files')).status).toBe(200)
      const remaining = () => files.filter(f => existsSync(f))
      await vi.waitFor(() => expect(remaining()).toEqual([]))
    })

    it('serves the stubs the heroku CLI calls along the way', async () => {
      await createApp('stubs')
      expect(await json(await h.request('GET', '/apps/stubs/addons'))).toEqual([])
      const collaborators = await json(await h.request('GET', '/apps/stubs/collaborators'))
      expect(collaborators).toMatchObject([{role: 'owner', user: {email: 'dev@ferry.local'}}])
      expect((await h.request('GET', '/apps/stubs/pipeline-couplings')).status).toBe(404)
      expect(await json(await h.request('GET', '/oauth/authorizations'))).toEqual([])
      expect(await json(await h.request('GET', '/apps/stubs/dynos'))).toEqual([])
      const status = await json(await h.request('GET', '/ferry/status'))
      expect(status).toMatchObject({apps: expect.any(Number), dynos: 0, port: h.ctx.config.port, routerPort: 5999, url: h.url})
    })
  })

  describe('config vars', () => {
    it('PATCH merges, null removes, makes one release per change, logs and converges; no-op makes none', async () => {
      const app = await createApp('conf')
      h.supervisor.converges.length = 0
      expect(await json(await h.request('PATCH', '/apps/conf/config-vars', {body: {A: '1', B: 'two words'}}))).toEqual({A: '1', B: 'two words'})
      expect(await json(await h.request('PATCH', '/apps/conf/config-vars', {body: {A: null}}))).toEqual({B: 'two words'})
      expect(await json(await h.request('PATCH', '/apps/conf/config-vars', {body: {A: null, B: 'two words'}}))).toEqual({B: 'two words'})
      const releases = await json(await h.request('GET', '/apps/conf/releases'))
      expect(releases.map((r: any) => r.description)).toEqual(['Initial release', 'Enable Logplex', 'Set A, B config vars', 'Remove A config vars'])
      expect(h.supervisor.converges).toEqual([app.id, app.id])
      const lines = h.logs.read(app.id, {}, 100).map(l => l.text.replace(/^\S+ /, ''))
      expect(lines).toContain('app[api]: Set A, B config vars by user dev@ferry.local')
      expect(lines).toContain('app[api]: Release v4 created by user dev@ferry.local')
      expect(await json(await h.request('GET', '/apps/conf/releases/3/config-vars'))).toEqual({A: '1', B: 'two words'})
      expect(await json(await h.request('GET', '/apps/conf/releases/v4/config-vars'))).toEqual({B: 'two words'})
    })

    it('rejects bad keys, non-string values and non-object bodies with 422, changing nothing', async () => {
      await createApp('conf-bad')
      for (const body of [{'A B': 'x'}, {'': 'x'}, {A: 1}, {A: true}, ['A'], 'A=1']) {
        const res = await h.request('PATCH', '/apps/conf-bad/config-vars', {body})
        expect(res.status, JSON.stringify(body)).toBe(422)
        expect((await json(res)).id).toBe('invalid_params')
      }

      const empty = await h.request('PATCH', '/apps/conf-bad/config-vars')
      expect(await json(empty)).toEqual({id: 'invalid_params', message: 'Invalid config vars body: expected a JSON object, got no body.'})
      expect(await json(await h.request('GET', '/apps/conf-bad/config-vars'))).toEqual({})
      expect((await json(await h.request('GET', '/apps/conf-bad/releases'))).length).toBe(2)
    })

    it('caps all config vars of an app at 32 KB (keys + values) and rejects NUL: 422, no release, nothing changed', async () => {
      await createApp('conf-big')
      const releases = async () => (await json(await h.request('GET', '/apps/conf-big/releases'))).length
      // 200 KB in one value (the E2BIG crash loop), then the total of several values each under the cap.
      for (const body of [{BIG: 'x'.repeat(200 * 1024)}, {A: 'a'.repeat(16 * 1024), B: 'b'.repeat(16 * 1024)}]) {
        const res = await h.request('PATCH', '/apps/conf-big/config-vars', {body})
        expect(res.status).toBe(422)
        const error = await json(res)
        expect(error.id).toBe('invalid_params')
        expect(error.message).toMatch(/^Config vars of conf-big would total \d+\.\d KB; the limit is 32 KB for all keys and values combined\./)
      }

      expect(await releases()).toBe(2)
      // Exactly at the limit is accepted; one more byte through another key is not.
      const fill = 'f'.repeat((32 * 1024) - 'FILL'.length)
      expect((await h.request('PATCH', '/apps/conf-big/config-vars', {body: {FILL: fill}})).status).toBe(200)
      expect((await h.request('PATCH', '/apps/conf-big/config-vars', {body: {X: ''}})).status).toBe(422)
      // Shrinking is always allowed.
      expect((await h.request('PATCH', '/apps/conf-big/config-vars', {body: {FILL: 'small'}})).status).toBe(200)
      expect(await releases()).toBe(4)

      const nul = await h.request('PATCH', '/apps/conf-big/config-vars', {body: {A: 'x\u0000B=y'}})
      expect(nul.status).toBe(422)
      expect((await json(nul)).message).toBe('Invalid value for config var A: it contains a NUL character, which an environment variable cannot hold.')
      expect((await h.request('PATCH', '/apps/conf-big/config-vars', {body: {'A\u0000B': 'y'}})).status).toBe(422)
      expect(await json(await h.request('GET', '/apps/conf-big/config-vars'))).toEqual({FILL: 'small'})
      expect(await releases()).toBe(4)
    })

    it('assigns release numbers without gaps or duplicates under 30 concurrent PATCHes', async () => {
      await createApp('race')
      const results = await Promise.all(Array.from({length: 30}, (_, i) => h.request('PATCH', '/apps/race/config-vars', {body: {[`K${i}`]: String(i)}})))
      expect(results.every(r => r.status === 200)).toBe(true)
      const versions = (await json(await h.request('GET', '/apps/race/releases'))).map((r: any) => r.version)
      expect(versions).toEqual(Array.from({length: 32}, (_, i) => i + 1))
    })
  })

  describe('releases and Range', () => {
    beforeAll(async () => {
      await createApp('ranged')
      for (let i = 0; i < 20; i++) await h.request('PATCH', '/apps/ranged/config-vars', {body: {N: String(i)}})
    })

    it('`version ..; max=15, order=desc` → 206 with 15 newest and a Next-Range; following it ends with 200 and no Next-Range', async () => {
      const first = await h.request('GET', '/apps/ranged/releases', {headers: {Range: 'version ..; max=15, order=desc'}})
      expect(first.status).toBe(206)
      const page1 = await json(first)
      expect(page1.map((r: any) => r.version)).toEqual(Array.from({length: 15}, (_, i) => 22 - i))
      expect(first.headers.get('content-range')).toBe('version 22..8')
      expect(first.headers.get('accept-ranges')).toBe('id, version')
      const next = first.headers.get('next-range')
      expect(next).toBe('version ]8..; max=15, order=desc')
      const second = await h.request('GET', '/apps/ranged/releases', {headers: {Range: next!}})
      expect(second.status).toBe(200)
      expect(second.headers.get('next-range')).toBeNull()
      expect((await json(second)).map((r: any) => r.version)).toEqual([7, 6, 5, 4, 3, 2, 1])
    })

    it('`version ..; order=desc,max=1` → the latest release', async () => {
      const res = await h.request('GET', '/apps/ranged/releases', {headers: {Range: 'version ..; order=desc,max=1'}})
      const body = await json(res)
      expect(body).toHaveLength(1)
      expect(body[0]).toMatchObject({current: true, version: 22})
    })

    it('no Range: everything ascending, 200, no Next-Range; empty Range header ignored', async () => {
      for (const headers of [{}, {Range: ''}] as Array<Record<string, string>>) {
        const res = await h.request('GET', '/apps/ranged/releases', {headers})
        expect(res.status).toBe(200)
        expect(res.headers.get('next-range')).toBeNull()
        expect((await json(res)).map((r: any) => r.version)).toEqual(Array.from({length: 22}, (_, i) => i + 1))
      }
    })

    it('an exact page size gives no Next-Range', async () => {
      const res = await h.request('GET', '/apps/ranged/releases', {headers: {Range: 'version ..; max=22'}})
      expect(res.status).toBe(200)
      expect(res.headers.get('next-range')).toBeNull()
    })

    it('bad Range → 400 (syntax, unknown field, bad max)', async () => {
      for (const range of ['garbage', 'name ..', 'version ..; max=0', 'version ..; order=up']) {
        const res = await h.request('GET', '/apps/ranged/releases', {headers: {Range: range}})
        expect(res.status, range).toBe(400)
        expect((await json(res)).id).toBe('bad_request')
      }
    })

    it('info by version, v-version and id; unknown → 404', async () => {
      const v5 = await json(await h.request('GET', '/apps/ranged/releases/5'))
      expect((await json(await h.request('GET', '/apps/ranged/releases/v5'))).id).toBe(v5.id)
      expect((await json(await h.request('GET', `/apps/ranged/releases/${v5.id}`))).version).toBe(5)
      const missing = await h.request('GET', '/apps/ranged/releases/99')
      expect(missing.status).toBe(404)
      expect(await json(missing)).toEqual({id: 'not_found', message: "Couldn't find that release."})
    })

    it('apps list honours Range on name', async () => {
      const res = await h.request('GET', '/apps', {headers: {Range: 'name ..; max=1'}})
      expect(res.status).toBe(206)
      expect(res.headers.get('next-range')).toMatch(/^name \]\S+\.\.; max=1$/)
    })
  })

  describe('slugs, deploys, rollback, formation', () => {
    it('a slug release syncs the formation; rollback makes a new release with the old slug and config', async () => {
      const app = await createApp('shop')
      const r3 = await deploy('shop', {web: 'node web.js', worker: 'node worker.js'})
      expect(r3).toMatchObject({current: true, description: 'Deploy abcdef01', version: 3})
      const formation = await json(await h.request('GET', '/apps/shop/formation'))
      expect(formation.map((f: any) => [f.type, f.quantity, f.command, f.size])).toEqual([['web', 1, 'node web.js', 'Basic'], ['worker', 0, 'node worker.js', 'Basic']])
      await h.request('PATCH', '/apps/shop/config-vars', {body: {A: '1'}}) // v4
      await deploy('shop', {web: 'node web2.js'}) // v5
      await h.request('PATCH', '/apps/shop/config-vars', {body: {A: '2'}}) // v6
      h.supervisor.converges.length = 0
      const v4 = await json(await h.request('GET', '/apps/shop/releases/4'))
      const rb = await h.request('POST', '/apps/shop/releases', {body: {release: v4.id}})
      expect(rb.status).toBe(201)
      expect(await json(rb)).toMatchObject({current: true, description: 'Rollback to v4', slug: {id: r3.slug.id}, version: 7})
      expect(await json(await h.request('GET', '/apps/shop/config-vars'))).toEqual({A: '1'})
      expect((await json(await h.request('GET', '/apps/shop/formation'))).map((f: any) => f.command)).toEqual(['node web.js', 'node worker.js'])
      expect(h.supervisor.converges).toEqual([app.id])
    })

    it('rollback to a missing version → 404, nothing created; bad release bodies → 422', async () => {
      await createApp('rb-bad')
      const missing = await h.request('POST', '/apps/rb-bad/releases', {body: {release: '42'}})
      expect(missing.status).toBe(404)
      for (const body of [{}, {release: '1', slug: 'x'}, {release: 1}, {release: '1', extra: true}]) {
        expect((await h.request('POST', '/apps/rb-bad/releases', {body})).status, JSON.stringify(body)).toBe(422)
      }

      expect((await h.request('POST', '/apps/rb-bad/releases', {body: {slug: '6f0c4b4e-0000-4000-8000-000000000000'}})).status).toBe(404)
      expect((await json(await h.request('GET', '/apps/rb-bad/releases'))).length).toBe(2)
    })

    it('slug create validates process_types and checksum; info round-trips', async () => {
      await createApp('slugs')
      for (const body of [{}, {process_types: 'web'}, {process_types: {web: 1}}, {process_types: {'bad type': 'x'}}, {checksum: 'md5:1', process_types: {}}, {process_types: {}, x: 1}]) {
        const res = await h.request('POST', '/apps/slugs/slugs', {body})
        expect(res.status, JSON.stringify(body)).toBe(422)
      }

      const checksum = `SHA256:${'a'.repeat(64)}`
      const slug = await json(await h.request('POST', '/apps/slugs/slugs', {body: {checksum, process_types: {web: 'x'}}}))
      expect(await json(await h.request('GET', `/apps/slugs/slugs/${slug.id}`))).toEqual(slug)
      expect((await h.request('GET', '/apps/slugs/slugs/nope')).status).toBe(404)
    })

    it('scales: batch with string/int/relative quantities and sizes, logs "Scaled to …", converges', async () => {
      const app = await createApp('scale')
      await deploy('scale', {web: 'w', worker: 'k'})
      h.supervisor.converges.length = 0
      const res = await h.request('PATCH', '/apps/scale/formation', {body: {updates: [{quantity: '2', type: 'web'}, {quantity: '+1', size: 'standard-1x', type: 'worker'}]}})
      expect(res.status).toBe(200)
      expect((await json(res)).map((f: any) => [f.type, f.quantity, f.size, f.dyno_size.name])).toEqual([['web', 2, 'Basic', 'Basic'], ['worker', 1, 'Standard-1X', 'Standard-1X']])
      const lines = h.logs.read(app.id, {}, 50).map(l => l.text.replace(/^\S+ /, ''))
      expect(lines).toContain('app[api]: Scaled to web@2:Basic worker@1:Standard-1X by user dev@ferry.local')
      expect(h.supervisor.converges).toEqual([app.id])
      const one = await json(await h.request('PATCH', '/apps/scale/formation/worker', {body: {quantity: 0}}))
      expect(one.quantity).toBe(0)
      // dyno_size as a name or as {name}; size wins when both are sent.
      expect((await json(await h.request('PATCH', '/apps/scale/formation/worker', {body: {dyno_size: {name: 'performance-m'}}}))).size).toBe('Performance-M')
      expect((await json(await h.request('PATCH', '/apps/scale/formation/worker', {body: {dyno_size: 'standard-2x'}}))).size).toBe('Standard-2X')
      expect((await json(await h.request('PATCH', '/apps/scale/formation/worker', {body: {dyno_size: 'standard-2x', size: 'basic'}}))).size).toBe('Basic')
      expect((await json(await h.request('GET', '/apps/scale/formation/web'))).quantity).toBe(2)
    })

    it('bad scale requests fail whole, nothing applied: unknown type 404, abc/negative/over-cap/unknown size 422, malformed bodies 422', async () => {
      await createApp('scale-bad')
      await deploy('scale-bad', {web: 'w'})
      const cases: Array<[unknown, number, RegExp]> = [
        [{updates: [{quantity: 3, type: 'web'}, {quantity: 1, type: 'worker'}]}, 404, /^Couldn't find that process type \(worker\)\.$/],
        [{updates: [{quantity: 'abc', type: 'web'}]}, 422, /Invalid quantity "abc"/],
        [{updates: [{quantity: -1, type: 'web'}]}, 422, /Invalid quantity -1/],
        [{updates: [{quantity: '100000', type: 'web'}]}, 422, /limit is 100 per process type/],
        [{updates: [{quantity: 2, size: 'Gigantic', type: 'web'}]}, 422, /Unknown dyno size "Gigantic"/],
        [{updates: [{quantity: 2}]}, 422, /Missing required field "type" in updates\[0\]/],
        [{updates: [{quantity: true, type: 'web'}]}, 422, /"quantity"/],
        [{updates: [{quantity: 2, type: 'web', colour: 'red'}]}, 422, /Unknown field "colour" in updates\[0\]/],
        [{updates: {type: 'web'}}, 422, /"updates"/],
        [{}, 422, /"updates"/],
      ]
      for (const [body, status, message] of cases) {
        const res = await h.request('PATCH', '/apps/scale-bad/formation', {body})
        expect(res.status, JSON.stringify(body)).toBe(status)
        expect((await json(res)).message).toMatch(message)
      }

      expect((await h.request('GET', '/apps/scale-bad/formation/worker')).status).toBe(404)
      expect((await json(await h.request('GET', '/apps/scale-bad/formation'))).map((f: any) => f.quantity)).toEqual([1])
    })
  })
})
