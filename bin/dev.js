#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the TypeScript sources and ignores the committed manifest (it may be stale while developing).
import {Config, Plugin, execute} from '@oclif/core'
import {fileURLToPath} from 'node:url'
import path from 'node:path'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const rootPlugin = new Plugin({ignoreManifest: true, isRoot: true, root})
await rootPlugin.load()
const config = await Config.load({plugins: new Map([[rootPlugin.name, rootPlugin]]), root})
await execute({development: true, loadOptions: config})
