// The native router child's own sandbox. ferry-router parses every byte clients send, so it runs with as little as
// possible: an empty environment, and under bubblewrap (when the platform has it) with no capabilities, its own
// user, pid, mount, IPC, UTS and cgroup namespaces, and a filesystem of /usr (libc, and libasan for the sanitizer
// build), a private /proc and /dev, and its own binary — no data dir, no token, no home. It keeps the host network
// (it connects to dynos on loopback) and the descriptors it inherits (its listening socket, stdin/stdout to the
// daemon). Tested in test/platform/router/hardening.test.ts.
import {accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync} from 'node:fs'
import {delimiter, join} from 'node:path'

/** The bwrap executable on PATH (the daemon's; the child's own environment is empty), or undefined. */
export function findBwrap(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue
    const file = join(dir, 'bwrap')
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }

  return undefined
}

/**
 * bwrap's arguments to run `binary` (then `args`) in the sandbox; bwrap writes `{"child-pid": N}` (the router's
 * host pid: it runs as the namespace's pid 1, no reaper) to `infoFd`.
 */
export function sandboxArgs(binary: string, args: string[], infoFd: number): string[] {
  const real = realpathSync(binary)
  const out = ['--unshare-all', '--share-net', '--as-pid-1', '--die-with-parent', '--cap-drop', 'ALL', '--info-fd', String(infoFd)]
  out.push('--ro-bind', '/usr', '/usr')
  // Merged /usr (Debian 12: /lib → usr/lib): the links, as they are; else the directories themselves.
  for (const dir of ['/lib', '/lib64', '/lib32', '/libx32', '/bin']) {
    try {
      const stat = lstatSync(dir)
      if (stat.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir)
      else if (stat.isDirectory()) out.push('--ro-bind', dir, dir)
    } catch {}
  }

  // bwrap always sets PWD, after any --unsetenv: `env -i` (from /usr, as pid 1 still) starts the router with none.
  out.push('--proc', '/proc', '--dev', '/dev', '--ro-bind', real, real, '--chdir', '/', '--')
  if (existsSync('/usr/bin/env')) out.push('/usr/bin/env', '-i')
  out.push(real, ...args)
  return out
}
