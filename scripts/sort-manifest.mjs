#!/usr/bin/env node
// Build step after `oclif manifest`: its command order varies from run to run (commands load concurrently), so
// sort the commands by id to keep the committed oclif.manifest.json stable (oclif sorts them again when loading).
import fs from 'node:fs'

const file = new URL('../oclif.manifest.json', import.meta.url)
const manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n')
