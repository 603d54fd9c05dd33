#!/usr/bin/env node
// ferry's entry point. `ferry --version` and the root help (`ferry`, `ferry --help`) are answered without loading
// oclif when the answer is known to be exactly what oclif would print (bin/fast-path.js), and so is git's credential
// helper (`git:credentials get|store|erase`); everything else runs oclif.
import {fastGitCredential, fastPath} from './fast-path.js'

const argv = process.argv.slice(2)
let out
try {
  out = fastPath(argv)
} catch {
  out = undefined
}

if (out !== undefined) {
  process.stdout.write(out)
} else if (!(await fastGitCredential(argv))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
