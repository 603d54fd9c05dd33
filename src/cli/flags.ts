// Flags shared by commands: --app/-a, --remote/-r (app resolution), --json.
import {Flags} from '@oclif/core'

export const app = Flags.string({char: 'a', description: 'app to run command against (else FERRY_APP or the git remote)', helpValue: '<value>'})
export const remote = Flags.string({char: 'r', description: 'git remote of app to use (default: ferry, then heroku)'})
export const json = Flags.boolean({description: 'output in json format'})

/** --app and --remote, for every command that acts on one app. */
export const appFlags = {app, remote}
