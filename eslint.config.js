import oclif from 'eslint-config-oclif'

// Dependency direction (shared/ARCHITECTURE.md): commands → cli → api; platform → api/types only.
const layers = {
  files: ['src/**/*.ts'],
  rules: {
    'import/no-restricted-paths': [
      'error',
      {
        zones: [
          {from: './src/commands', message: 'Nothing imports commands.', target: './src/!(commands)/**/*'},
          {from: './src/cli', message: 'api/ and platform/ must not depend on cli/.', target: ['./src/api', './src/platform', './src/local']},
          {
            except: ['./types.ts'],
            from: './src/api',
            message: 'platform/ may import only src/api/types.ts from api/.',
            target: './src/platform',
          },
          {
            except: ['./launcher.ts', './paths.ts', './proc.ts'],
            from: './src/platform',
            message: 'api/ reaches platform/ only through the daemon launcher.',
            target: './src/api',
          },
          {from: './src/platform', message: 'cli/ and commands/ talk to the platform over the API only.', target: ['./src/cli', './src/commands']},
          // Inside the platform: the API server is the outer layer. Only it (and the daemon that builds it) imports
          // server/; what others need of it lives in neutral modules (errors.ts, events.ts, urls.ts, tls-sniff.ts).
          {
            from: './src/platform/server',
            message: 'Only server/ and daemon.ts import server/: move what you need to a neutral module (platform/errors.ts, events.ts, urls.ts).',
            target: ['./src/platform/!(server)/**/*', './src/platform/!(daemon).ts'],
          },
          {from: './src/api', message: 'The store takes its own types (store/types.ts), not API wire types.', target: './src/platform/store'},
          // The store and the log service are the platform's bottom layer: of the platform they use only the shared
          // types (context.ts), the clock helpers (time.ts) and, for log sessions, the error values (errors.ts).
          {
            except: ['./store', './context.ts', './time.ts'],
            from: './src/platform',
            message: 'store/ is the bottom layer: it imports only context.ts (types) and time.ts from the platform.',
            target: './src/platform/store',
          },
          {
            except: ['./logs', './context.ts', './time.ts', './errors.ts'],
            from: './src/platform',
            message: 'logs/ is the bottom layer: it imports only context.ts (types), time.ts and errors.ts from the platform.',
            target: './src/platform/logs',
          },
          // The router's parts (proxy/, http1/, native/) are reached through its modules (index.ts, proxy.ts, http1.ts,
          // native.ts); the HTTP parser depends on nothing of the proxy.
          {
            from: ['./src/platform/router/proxy', './src/platform/router/http1', './src/platform/router/native'],
            message: 'Import the router through router/index.ts (or proxy.ts, http1.ts, native.ts), not its parts.',
            target: ['./src/platform/!(router)/**/*', './src/platform/*.ts'],
          },
          {
            from: ['./src/platform/router/proxy', './src/platform/router/proxy.ts', './src/platform/router/native', './src/platform/router/native.ts'],
            message: 'The HTTP parser (http1.ts, http1/) depends on nothing of the proxy.',
            target: ['./src/platform/router/http1', './src/platform/router/http1.ts'],
          },
        ],
      },
    ],
  },
}

// The CLI has one HTTP transport, node:http (src/api/transport.ts): the global fetch loads undici, ~120 ms of start-up.
// Added to oclif's restricted globals and imports (the last config setting each rule), not in place of them.
const inherited = rule => oclif.findLast(config => config.rules?.[rule])?.rules[rule].slice(1) ?? []
const [inheritedGlobals] = inherited('no-restricted-globals')
const oneTransport = {
  files: ['src/api/**/*.ts', 'src/cli/**/*.ts', 'src/commands/**/*.ts', 'src/hooks/**/*.ts', 'src/local/**/*.ts'],
  rules: {
    'no-restricted-globals': [
      'error',
      {
        ...inheritedGlobals,
        globals: [
          ...(inheritedGlobals?.globals ?? []),
          ...['fetch', 'Request', 'Response', 'Headers', 'EventSource', 'WebSocket'].map(name => ({
            message: 'The CLI sends HTTP through src/api/transport.ts (node:http); fetch loads undici (~120 ms of start-up).',
            name,
          })),
        ],
      },
    ],
    'no-restricted-imports': ['error', ...inherited('no-restricted-imports'), {message: 'The CLI sends HTTP through src/api/transport.ts (node:http).', name: 'undici'}],
  },
}

export default [
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**', 'bench/fixtures/**', 'bench/results/**', 'oclif.manifest.json']},
  ...oclif,
  {
    rules: {
      '@stylistic/lines-between-class-members': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@stylistic/object-curly-newline': 'off',
      '@stylistic/quote-props': 'off',
      '@stylistic/indent': 'off',
      '@stylistic/indent-binary-ops': 'off',
      '@stylistic/operator-linebreak': 'off',
      '@stylistic/multiline-ternary': 'off',
      'prefer-destructuring': 'off',
      'unicorn/no-nested-ternary': 'off',
      'camelcase': 'off',
      'complexity': 'off',
      'max-depth': 'off',
      'max-params': 'off',
      'n/no-process-exit': 'off',
      'n/no-unsupported-features/node-builtins': 'off',
      'no-await-in-loop': 'off',
      'no-bitwise': 'off',
      'no-constant-condition': 'off',
      'no-control-regex': 'off',
      'no-promise-executor-return': 'off',
      'no-void': 'off',
      'perfectionist/sort-classes': 'off',
      'perfectionist/sort-imports': 'off',
      'perfectionist/sort-interfaces': 'off',
      'perfectionist/sort-intersection-types': 'off',
      'perfectionist/sort-modules': 'off',
      'perfectionist/sort-named-imports': 'off',
      'perfectionist/sort-object-types': 'off',
      'perfectionist/sort-objects': 'off',
      'perfectionist/sort-union-types': 'off',
      'unicorn/no-array-callback-reference': 'off',
      'unicorn/no-array-for-each': 'off',
      'unicorn/no-array-reduce': 'off',
      'unicorn/no-process-exit': 'off',
      'unicorn/no-useless-undefined': 'off',
      'unicorn/prefer-event-target': 'off',
      'unicorn/prefer-top-level-await': 'off',
      'unicorn/prefer-string-raw': 'off',
      'unicorn/text-encoding-identifier-case': 'off',
      'unicorn/consistent-function-scoping': 'off',
      'unicorn/prefer-ternary': 'off',
      'unicorn/no-negated-condition': 'off',
      'unicorn/prefer-code-point': 'off',
      'unicorn/no-hex-escape': 'off',
      'unicorn/escape-case': 'off',
      'unicorn/no-lonely-if': 'off',
      'unicorn/prefer-spread': 'off',
      'no-warning-comments': 'off',
      'mocha/handle-done-callback': 'off',
      'mocha/max-top-level-suites': 'off',
      'mocha/no-async-describe': 'off',
      'mocha/no-exports': 'off',
      'mocha/no-global-tests': 'off',
      'mocha/no-hooks': 'off',
      'mocha/no-hooks-for-single-case': 'off',
      'mocha/no-mocha-arrows': 'off',
      'mocha/no-nested-tests': 'off',
      'mocha/no-pending-tests': 'off',
      'mocha/no-return-and-callback': 'off',
      'mocha/no-return-from-async': 'off',
      'mocha/no-setup-in-describe': 'off',
      'mocha/no-sibling-hooks': 'off',
      'mocha/no-skipped-tests': 'off',
      'mocha/no-synchronous-tests': 'off',
      'mocha/no-top-level-hooks': 'off',
      'mocha/prefer-arrow-callback': 'off',
      'mocha/valid-suite-description': 'off',
      'mocha/valid-test-description': 'off',
      'mocha/no-empty-description': 'off',
      'mocha/consistent-spacing-between-blocks': 'off',
      // vitest, not mocha: keep only the rules that catch real mistakes (exclusive tests, duplicate titles).
    },
  },
  layers,
  oneTransport,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'bench/**/*.js', 'bin/**/*.js'],
    rules: {
      'import/no-restricted-paths': 'off',
      'no-console': 'off',
      'unicorn/prefer-module': 'off',
    },
  },
]
