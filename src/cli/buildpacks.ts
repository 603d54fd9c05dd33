// Result lines of the buildpacks:* mutations (heroku CLI wording, shared/platform-api.md §3.17).
import {buildpackDisplayName} from './builds.js'

export function buildpacksChanged(verb: string, app: string, urls: string[]): string {
  const names = urls.map(u => buildpackDisplayName(u))
  if (names.length === 0) return `Buildpacks cleared. Next release on ${app} will detect buildpacks normally.`
  if (names.length === 1) {
    return `Buildpack ${verb}. Next release on ${app} will use ${names[0]}.\nRun git push ferry main to create a new release using this buildpack.`
  }

  return [
    `Buildpack ${verb}. Next release on ${app} will use:`,
    ...names.map((n, i) => `  ${i + 1}. ${n}`),
    'Run git push ferry main to create a new release using these buildpacks.',
  ].join('\n')
}

/** Same buildpack, ignoring the urn:buildpack: prefix. */
export function sameBuildpack(a: string, b: string): boolean {
  return buildpackDisplayName(a) === buildpackDisplayName(b)
}
