import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {SlugCache} from '../../../src/platform/supervisor/slugs.js'
import {makeSlug} from './helpers.js'

describe('SlugCache', () => {
  let root: string

  afterEach(() => rmSync(root, {force: true, recursive: true}))

  it('unpacks a slug once per release, stripping ./app/, atomically; concurrent calls share one unpack', async () => {
    root = mkdtempSync(join(tmpdir(), 'ferry-slugs-'))
    const slug = makeSlug(root, {'hello.txt': 'hi'})
    const cache = new SlugCache(join(root, 'data'))
    const [a, b] = await Promise.all([cache.ensure('r1', slug), cache.ensure('r1', slug)])
    expect(a).toBe(join(root, 'data', 'releases', 'r1'))
    expect(b).toBe(a)
    expect(readFileSync(join(a, 'hello.txt'), 'utf8')).toBe('hi')
    expect(existsSync(join(a, 'app'))).toBe(false)
    expect(readdirSync(join(root, 'data', 'releases'))).toEqual(['r1'])
    // Already unpacked: the slug is not needed again.
    rmSync(slug)
    expect(await cache.ensure('r1', slug)).toBe(a)
  })

  it('fails clearly for a missing or corrupt slug and leaves no temp dir', async () => {
    root = mkdtempSync(join(tmpdir(), 'ferry-slugs-'))
    const cache = new SlugCache(join(root, 'data'))
    await expect(cache.ensure('r2', join(root, 'missing.tgz'))).rejects.toThrow(/not found/)
    mkdirSync(join(root, 'bad'))
    const bad = join(root, 'bad', 'bad.tgz')
    writeFileSync(bad, 'not a tarball')
    await expect(cache.ensure('r3', bad)).rejects.toThrow(/Could not unpack/)
    expect(existsSync(join(root, 'data', 'releases', 'r3'))).toBe(false)
    expect(readdirSync(join(root, 'data', 'releases'))).toEqual([])
  })

  it('garbage-collects releases not in use', async () => {
    root = mkdtempSync(join(tmpdir(), 'ferry-slugs-'))
    const slug = makeSlug(root)
    const cache = new SlugCache(join(root, 'data'))
    await Promise.all(['r1', 'r2', 'r3'].map(id => cache.ensure(id, slug)))
    expect((await cache.gc(['r2'])).sort()).toEqual(['r1', 'r3'])
    expect(readdirSync(join(root, 'data', 'releases'))).toEqual(['r2'])
  })
})
