// ESLint flat config. Besides style, this file is where ARCHITECTURE.md's layering rules live:
// each folder may import only what its runtime and layer allow. test/unit/layering.test.ts proves
// the rules bite.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// onnxruntime-node is the agent's native inference runtime (hundreds of MB): never in core, services
// or the renderer bundle.
const nativeAndDevicePackages = [
  'electron',
  'better-sqlite3',
  'serialport',
  'usb',
  'ssh2',
  'onnxruntime-node',
];

/** Builds a no-restricted-imports rule from plain lists. */
function restrict({ paths = [], patterns = [] }) {
  return ['error', { paths, patterns }];
}

const forbidPackages = (names, why) => names.map((name) => ({ name, message: why }));
const forbidPackageSubpaths = (names, why) => names.map((name) => ({ group: [`${name}/*`], message: why }));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'test/artifacts/',
      'test-results/',
      'playwright-report/',
      '.cache/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-exports': [
        'error',
        { restrictDefaultExports: { direct: true, named: true, defaultFrom: true } },
      ],
    },
  },
  // Tool configs must default-export.
  { files: ['*.config.*', 'eslint.config.mjs'], rules: { 'no-restricted-exports': 'off' } },

  // core/: pure formats and protocols shared by main, agent and hq.
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        paths: forbidPackages(
          nativeAndDevicePackages,
          'core/ is pure: no Electron, native or device packages.',
        ),
        patterns: [
          {
            group: ['**/main/**', '**/agent/**', '**/hq/**', '**/renderer/**'],
            message: 'core/ imports nothing from main, agent, hq or renderer.',
          },
          ...forbidPackageSubpaths(
            nativeAndDevicePackages,
            'core/ is pure: no Electron, native or device packages.',
          ),
        ],
      }),
    },
  },

  // Everything in main/ except the Electron layer: no electron, no raw IPC.
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**', 'main/index.ts'],
    rules: {
      'no-restricted-imports': restrict({
        paths: forbidPackages(['electron'], "Only main/electron/ and main/index.ts may import 'electron'."),
        patterns: [
          {
            group: ['**/electron/*', '**/main/electron/**', '../electron', './electron'],
            message: 'Services, db, host and CLI must not depend on the Electron layer.',
          },
          { group: ['**/renderer/**'], message: 'main/ never imports the renderer.' },
        ],
      }),
    },
  },
  // main/services: also no direct device or database packages (adapters and db own those).
  {
    files: ['main/services/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        paths: forbidPackages(
          nativeAndDevicePackages,
          'Services use adapters and main/db, never electron or native packages directly.',
        ),
        patterns: [
          {
            group: ['**/main/electron/**', '../electron/**', '../electron'],
            message: 'Services must not depend on the Electron layer.',
          },
          { group: ['**/renderer/**'], message: 'main/ never imports the renderer.' },
          ...forbidPackageSubpaths(nativeAndDevicePackages, 'Services use adapters and main/db.'),
        ],
      }),
    },
  },
  // The Electron layer: electron allowed, but raw ipcMain only in the gate adapter.
  {
    files: ['main/electron/**/*.ts', 'main/index.ts'],
    ignores: ['main/electron/ipc-bridge.ts'],
    rules: {
      'no-restricted-imports': restrict({
        paths: [
          {
            name: 'electron',
            importNames: ['ipcMain', 'ipcRenderer'],
            message: 'Raw IPC lives only in main/electron/ipc-bridge.ts.',
          },
        ],
        patterns: [{ group: ['**/renderer/**'], message: 'main/ never imports the renderer.' }],
      }),
    },
  },
  // Native packages only where their layer owns them.
  {
    files: ['main/**/*.ts'],
    ignores: ['main/db/**', 'main/adapters/**', 'main/electron/**', 'main/index.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration[source.value=/^(better-sqlite3|serialport|usb|ssh2)$/]',
          message: 'Only main/db touches better-sqlite3; only main/adapters touch serialport, usb and ssh2.',
        },
      ],
    },
  },

  // preload: contextBridge only; no node built-ins beyond what the sandbox offers.
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        paths: forbidPackages(nodeBuiltins, 'The sandboxed preload has no Node built-ins.'),
        patterns: [
          {
            group: ['**/main/services/**', '**/main/db/**', '**/main/electron/**'],
            message: 'The preload imports only the IPC contract.',
          },
        ],
      }),
    },
  },

  // renderer: browser code; talks to the backend only through bridge.ts.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': restrict({
        paths: forbidPackages(
          [...nodeBuiltins, ...nativeAndDevicePackages],
          'The renderer is sandboxed browser code.',
        ),
        patterns: [
          {
            group: ['**/main/ipc/contract'],
            allowTypeImports: true,
            message: 'The renderer may import only types from the IPC contract.',
          },
          {
            regex: '(^|/)(main/(?!ipc/contract$)|agent/|hq/)',
            message: 'The renderer talks to the backend only through bridge.ts.',
          },
          ...forbidPackageSubpaths(nativeAndDevicePackages, 'The renderer is sandboxed browser code.'),
        ],
      }),
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='deckhand']",
          message: 'Only renderer/src/bridge.ts touches window.deckhand.',
        },
      ],
    },
  },
  { files: ['renderer/src/bridge.ts'], rules: { 'no-restricted-syntax': 'off' } },

  // agent/ and hq/ run elsewhere: core only.
  {
    files: ['agent/**/*.ts', 'hq/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict({
        paths: forbidPackages(['electron'], 'The agent and HQ do not run in Electron.'),
        patterns: [
          { group: ['**/main/**', '**/renderer/**'], message: 'agent/ and hq/ import core/, never main/.' },
        ],
      }),
    },
  },

  {
    files: ['test/**/*.ts', 'test/**/*.tsx'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
