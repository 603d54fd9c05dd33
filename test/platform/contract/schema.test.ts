// Contract test: real responses of every implemented endpoint validated against Heroku's JSON hyper-schema
// (test/fixtures/platform-api/schema.json, a copy kept in the repository; see its SOURCE.md). Links are matched by method + href template and
// responses validated against the link's targetSchema. `strictProperties: true` is enforced as "no properties
// beyond those the schema lists" (our objects may omit optional fields; the omissions are reported, not failed).
import {Ajv, type ValidateFunction} from 'ajv'
import addFormatsModule from 'ajv-formats'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Dyno} from '../../../src/api/types.js'

import {type Harness, startHarness} from '../server/harness.js'

const repoRoot = resolve(import.meta.dirname, '..', '..', '..')
const SCHEMA_PATH = resolve(repoRoot, 'test', 'fixtures', 'platform-api', 'schema.json')

interface Link {
  definition: string
  href: string
  index: number
  method: string
  pattern: RegExp
  title: string
  validate?: ValidateFunction
}

function stripSchemaKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(v => stripSchemaKeys(v))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '$schema').map(([k, v]) => [k, stripSchemaKeys(v)]))
  }

  return value
}

function loadSchema(): any {
  if (!existsSync(SCHEMA_PATH)) {
    throw new Error(`Heroku Platform API schema not found at ${SCHEMA_PATH}.`)
  }

  const schema = stripSchemaKeys(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'))) as any
  delete schema.id
  applyLocalDeviations(schema)
  return schema
}

/**
 * The documented, deliberate differences of a local platform (shared/platform-api.md §1.5, §4), kept to a minimum:
 * - app git_url / web_url point at 127.0.0.1 / <name>.localhost instead of Heroku's hosts (their `pattern`s are replaced by `format: uri`);
 * - app.create_status is sent (the sdk representation; the heroku CLI's apps:info prints a row unless it is "complete").
 */
const EXTRA_PROPERTIES: Record<string, string[]> = {app: ['create_status']}
function applyLocalDeviations(schema: any): void {
  for (const field of ['git_url', 'web_url']) {
    const def = schema.definitions.app.definitions[field]
    delete def.pattern
    def.format = 'uri'
  }

  // domain.hostname is a bare host name (www.example.com) on Heroku too; the schema's `format: uri` would need a scheme.
  schema.definitions.domain.definitions.hostname.format = 'hostname'

  for (const [definition, extra] of Object.entries(EXTRA_PROPERTIES)) {
    for (const name of extra) schema.definitions[definition].properties[name] ??= {type: ['string']}
  }
}

function hrefPattern(href: string): RegExp {
  const source = href
    .split(/\{[^}]*\}/)
    .map(part => part.replaceAll(/[$()*+.?[\\\]^{|}]/g, String.raw`\$&`))
    .join('[^/]+')
  return new RegExp(`^${source}$`)
}

const schema = loadSchema()
const ajv = new Ajv({allErrors: true, strict: false})
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => Ajv
addFormats(ajv)

/** Hyper-schema `strictProperties: true`: no properties beyond those listed in `properties` (none are required). */
const strictProperties: any = (enabled: boolean, data: unknown, parentSchema: any): boolean => {
  if (!enabled || !data || typeof data !== 'object' || Array.isArray(data)) return true
  const known = Object.keys(parentSchema?.properties ?? {})
  const extra = Object.keys(data).filter(k => !known.includes(k))
  strictProperties.errors = extra.map(k => ({keyword: 'strictProperties', message: `unexpected property "${k}"`, params: {property: k}}))
  return extra.length === 0
}

ajv.addKeyword({errors: true, keyword: 'strictProperties', schemaType: 'boolean', validate: strictProperties})
ajv.addSchema(schema, 'heroku')

const links: Link[] = Object.entries(schema.definitions as Record<string, any>).flatMap(([definition, def]) =>
  (def.links ?? []).map((link: any, index: number) => ({
    definition,
    href: link.href,
    index,
    method: link.method,
    pattern: hrefPattern(link.href),
    title: link.title,
  })))

function linksFor(method: string, path: string): Link[] {
  return links.filter(l => l.method === method && l.pattern.test(path))
}

function validatorFor(link: Link): ValidateFunction {
  link.validate ??= ajv.compile({$ref: `heroku#/definitions/${link.definition}/links/${link.index}/targetSchema`})
  return link.validate
}

/** Fields the schema defines for a resource that our object leaves out (reported, not failed). */
const omissions = new Map<string, Set<string>>()
function noteOmissions(definition: string, body: unknown): void {
  const props = Object.keys(schema.definitions[definition]?.properties ?? {})
  const objects = Array.isArray(body) ? body : [body]
  for (const object of objects) {
    if (!object || typeof object !== 'object' || Object.keys(object).length === 0) continue
    for (const p of props) {
      if (!(p in object)) {
        if (!omissions.has(definition)) omissions.set(definition, new Set())
        omissions.get(definition)!.add(p)
      }
    }
  }
}

const validated: string[] = []

describe('contract: responses match the Heroku Platform API schema', () => {
  let h: Harness

  /** Performs the request and validates the 2xx body against the matching link(s). Returns the body. */
  async function check(method: string, path: string, body?: unknown, expectedStatus?: number): Promise<any> {
    const res = await h.request(method, path, body === undefined ? {} : {body})
    const text = await res.text()
    expect(res.status, `${method} ${path}: ${text}`).toBe(expectedStatus ?? (method === 'POST' ? 201 : 200))
    const json = JSON.parse(text)
    const candidates = linksFor(method, path)
    expect(candidates.length, `no schema link matches ${method} ${path}`).toBeGreaterThan(0)
    const failures: string[] = []
    let passed: Link | undefined
    for (const link of candidates) {
      const validate = validatorFor(link)
      if (validate(json)) {
        passed = link
        break
      }

      failures.push(`${link.definition} ${link.title}: ${ajv.errorsText(validate.errors, {separator: '\n  '})}`)
    }

    expect(passed, `${method} ${path} does not match the schema:\n  ${failures.join('\n  ')}`).toBeDefined()
    noteOmissions(passed!.definition, json)
    validated.push(`${method} ${path.replaceAll(/[\da-f]{8}-[\da-f-]{27}/g, '{id}')} → ${passed!.definition} ${passed!.title}`)
    return json
  }

  beforeAll(async () => {
    h = await startHarness()
  })

  afterAll(async () => {
    await h.close()
    console.log(`contract: validated ${validated.length} responses:\n  ${validated.join('\n  ')}`)
    console.log(`contract: schema fields our objects omit (allowed, informational):\n  ${[...omissions].map(([d, s]) => `${d}: ${[...s].join(', ')}`).join('\n  ')}`)
  })

  it('the strictProperties keyword catches extra fields (self-check)', () => {
    const validate = validatorFor(linksFor('GET', '/account')[0])
    expect(validate({email: 'a@b.c', id: '01234567-89ab-cdef-0123-456789abcdef'})).toBe(true)
    expect(validate({email: 'a@b.c', id: '01234567-89ab-cdef-0123-456789abcdef', unknown_field: 1})).toBe(false)
    expect(validate.errors?.map(e => e.keyword)).toEqual(['strictProperties'])
  })

  it('account', async () => {
    await check('GET', '/account')
    await check('GET', '/users/~')
    await check('GET', '/oauth/authorizations')
  })

  it('apps, config vars, releases, slugs, formation, features, stubs', async () => {
    const app = await check('POST', '/apps', {name: 'contract'})
    await check('POST', '/apps', {})
    await check('GET', '/apps')
    await check('GET', '/users/~/apps')
    await check('GET', '/apps/contract')
    await check('GET', `/apps/${app.id}`)
    await check('PATCH', '/apps/contract', {maintenance: false})
    await check('PATCH', '/apps/contract/config-vars', {FOO: 'bar', GONE: 'x'})
    await check('PATCH', '/apps/contract/config-vars', {GONE: null})
    await check('GET', '/apps/contract/config-vars')
    await check('GET', '/apps/contract/releases/3/config-vars')
    const slug = await check('POST', '/apps/contract/slugs', {
      buildpack_provided_description: 'Node.js',
      checksum: `SHA256:${'0'.repeat(64)}`,
      commit: '0123456789abcdef0123456789abcdef01234567',
      commit_description: 'first',
      process_types: {web: 'node server.js', worker: 'node worker.js'},
      stack: 'heroku-24',
    })
    await check('GET', `/apps/contract/slugs/${slug.id}`)
    const release = await check('POST', '/apps/contract/releases', {description: 'Deploy by contract', slug: slug.id})
    await check('GET', '/apps/contract/releases')
    await check('GET', '/apps/contract/releases/2')
    await check('GET', `/apps/contract/releases/${release.id}`)
    const v3 = await check('GET', '/apps/contract/releases/v3')
    await check('POST', '/apps/contract/releases', {release: v3.id})
    await check('GET', '/apps/contract/formation')
    await check('GET', '/apps/contract/formation/web')
    await check('PATCH', '/apps/contract/formation', {updates: [{quantity: '2', size: 'Standard-1X', type: 'web'}, {quantity: 1, type: 'worker'}]})
    await check('PATCH', '/apps/contract/formation/worker', {quantity: '+1'})
    await check('GET', '/apps/contract/features')
    await check('GET', '/apps/contract/features/preboot')
    await check('PATCH', '/apps/contract/features/preboot', {enabled: true})
    await check('GET', '/apps/contract/addons')
    await check('GET', '/apps/contract/collaborators')
    await check('PATCH', '/apps/contract', {maintenance: true})
    const domain = await check('POST', '/apps/contract/domains', {hostname: 'www.contract.test', sni_endpoint: null})
    await check('GET', '/apps/contract/domains')
    await check('GET', `/apps/contract/domains/${domain.id}`)
    await check('GET', '/apps/contract/domains/contract.localhost')
    await check('DELETE', '/apps/contract/domains/www.contract.test')
    await check('GET', '/apps/contract/sni-endpoints')
    await check('PATCH', '/apps/contract', {name: 'contract-renamed'})
    await check('DELETE', '/apps/contract-renamed')
  })

  it('endpoints of the other parts: buildpacks, sources, builds, log sessions, dyno actions', async () => {
    await check('POST', '/apps', {name: 'others'})
    const slug = await check('POST', '/apps/others/slugs', {process_types: {web: 'node server.js'}})
    await check('POST', '/apps/others/releases', {slug: slug.id})
    await check('GET', '/apps/others/buildpack-installations')
    await check('PUT', '/apps/others/buildpack-installations', {updates: [{buildpack: 'heroku/nodejs'}]}, 200)
    await check('PUT', '/apps/others/buildpack-installations', {updates: []}, 200)
    const source = await check('POST', '/sources')
    // A source nothing detects: the build fails fast, which is all this test needs (shapes of pending and failed builds).
    const dir = mkdtempSync(join(tmpdir(), 'ferry-contract-src-'))
    try {
      writeFileSync(join(dir, 'README'), 'nothing to build\n')
      execFileSync('tar', ['-czf', join(dir, 'src.tgz'), '-C', dir, 'README'])
      const put = await fetch(source.source_blob.put_url, {body: readFileSync(join(dir, 'src.tgz')), method: 'PUT'})
      expect(put.status).toBe(200)
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }

    const build = await check('POST', '/apps/others/builds', {source_blob: {url: source.source_blob.get_url, version: 'v1'}})
    const deadline = Date.now() + 60_000
    let info = build
    while (info.status === 'pending' && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 200))
      info = await check('GET', `/apps/others/builds/${build.id}`)
    }

    expect(info.status).not.toBe('pending')
    await check('GET', '/apps/others/builds')
    await check('POST', '/apps/others/log-sessions', {dyno: 'web.1', lines: 10, source: 'app', tail: false})
    await check('DELETE', '/apps/others/dynos', undefined, 202)
    await check('DELETE', '/apps/others/formations/web', undefined, 202)
    await check('POST', '/apps/others/formations/web/actions/stop', undefined, 202)
  })

  it('dynos (list and info, with a supervisor that reports one dyno)', async () => {
    const app = await check('POST', '/apps', {name: 'dynos'})
    const dyno: Dyno = {
      app: {id: app.id, name: app.name},
      attach_url: null,
      command: 'node server.js',
      created_at: '2026-01-01T00:00:00Z',
      id: '6f0c4b4e-1111-4000-8000-000000000001',
      name: 'web.1',
      release: {id: '6f0c4b4e-1111-4000-8000-000000000002', version: 3},
      size: 'Basic',
      state: 'up',
      type: 'web',
      updated_at: '2026-01-01T00:00:00Z',
    }
    h.supervisor.dynos = (() => [dyno]) as any
    try {
      await check('GET', '/apps/dynos/dynos')
      await check('GET', '/apps/dynos/dynos/web.1')
    } finally {
      h.supervisor.dynos = () => []
    }
  })
})
