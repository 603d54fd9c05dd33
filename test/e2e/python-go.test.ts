// e2e (issue 17): the Python and Go built-in buildpacks through `git push` with the real CLI and daemon: detected
// with no buildpack set, dependencies from PyPI / the Go proxy, served through the router; a second push uses the
// app's cache (no download); a broken build rejects the push and the previous release keeps serving.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'

import {commit, describeLanguage, push, runs, viaRouter} from './language-apps.js'

const needs = [
  {available: () => runs('python3', '-m', 'pip', '--version'), fix: 'install python3 and python3-pip', what: 'python3 with pip'},
  {available: () => runs('go', 'version'), fix: 'install Go (https://go.dev/dl) and put it on PATH', what: 'go'},
]

describeLanguage('e2e: Python and Go apps', {id: 'python-go', needs}, suite => {
  it('python-flask: venv with Flask + gunicorn from PyPI, served; warm push restores the cached virtualenv, changed requirements install from the cached wheels; a missing package rejects the push', async () => {
    const dir = await suite.app('python-flask', 'py-e2e')
    const cold = await push(suite.home, dir)
    expect(cold.output).toContain('remote: -----> Python app detected')
    expect(cold.output).toMatch(/remote: -----> Using Python 3\.11\.\d+ \(\.python-version\)/)
    expect(cold.output).toContain('remote: -----> Installing dependencies with pip (requirements.txt)')
    expect(cold.output).toMatch(/remote: +Downloading flask-3\.1\.3/)
    expect(cold.code, cold.output).toBe(0)
    expect(await viaRouter(suite.home, 'py-e2e', 20_000, 'Hello from Flask on ferry (Python 3.11.')).toBeTruthy()

    commit(suite.home, dir, 'second', {'app.py': execFileSync('sed', ['s/Hello from Flask/Hello again from Flask/', join(dir, 'app.py')], {encoding: 'utf8'})})
    const warm = await push(suite.home, dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).toContain('remote:        Virtualenv restored from the build cache (same Python, requirements.txt and pip settings): nothing installed')
    expect(warm.output).not.toMatch(/Downloading|Successfully installed/)
    expect(await viaRouter(suite.home, 'py-e2e', 20_000, 'Hello again from Flask')).toBeTruthy()

    // Changed requirements go through pip again: offline, from the wheels of the earlier builds.
    commit(suite.home, dir, 'third', {'requirements.txt': `${readFileSync(join(dir, 'requirements.txt'), 'utf8')}# reinstall\n`})
    const changed = await push(suite.home, dir)
    expect(changed.code, changed.output).toBe(0)
    expect(changed.output).toContain('remote:        Installed from the wheels cached by earlier builds (nothing downloaded):')
    expect(changed.output).toMatch(/remote: {8}Successfully installed .*flask-3\.1\.3/)
    expect(changed.output).not.toMatch(/Downloading/)

    commit(suite.home, dir, 'broken', {'requirements.txt': 'flask==3.1.3\nferry-no-such-package-zz9==1.0\n'})
    const broken = await push(suite.home, dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toContain('remote:  !     pip could not download or build the packages of requirements.txt')
    expect(await viaRouter(suite.home, 'py-e2e', 20_000, 'Hello again from Flask')).toBeTruthy()
  }, 120_000)

  it('go-hello: go build with github.com/google/uuid from the proxy, default web bin/go-hello; warm push downloads nothing; a compile error rejects the push', async () => {
    const dir = await suite.app('go-hello', 'go-e2e')
    const cold = await push(suite.home, dir)
    expect(cold.output).toContain('remote: -----> Go app detected')
    expect(cold.output).toContain('remote:        Main packages: example.com/go-hello')
    expect(cold.output).toContain('go: downloading github.com/google/uuid v1.6.0')
    expect(cold.output).toContain('remote:        Default types for buildpack -> web')
    expect(cold.code, cold.output).toBe(0)
    expect(await viaRouter(suite.home, 'go-e2e', 20_000, 'Hello from Go on ferry')).toBeTruthy()

    commit(suite.home, dir, 'second', {'main.go': execFileSync('sed', ['s/Hello from Go/Hello again from Go/', join(dir, 'main.go')], {encoding: 'utf8'})})
    const warm = await push(suite.home, dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).not.toContain('go: downloading')
    expect(await viaRouter(suite.home, 'go-e2e', 20_000, 'Hello again from Go')).toBeTruthy()

    commit(suite.home, dir, 'broken', {'main.go': 'package main\n\nfunc main() { undefinedThing() }\n'})
    const broken = await push(suite.home, dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toContain('undefined: undefinedThing')
    expect(broken.output).toContain('remote:  !     go build failed')
    expect(await viaRouter(suite.home, 'go-e2e', 20_000, 'Hello again from Go')).toBeTruthy()
  }, 120_000)
})
