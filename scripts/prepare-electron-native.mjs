#!/usr/bin/env node
/**
 * Builds a second copy of better-sqlite3 for Electron's ABI, leaving node_modules (built for Node,
 * which the tests and the CLI need) untouched:
 *
 *   .cache/electron-native/<electronVersion>/better-sqlite3/build/Release/better_sqlite3.node
 *
 * main/electron/native-binding.ts computes the same path and hands it to better-sqlite3's
 * `nativeBinding` option when Electron runs unpackaged. Packaged apps do not need this: electron-builder
 * rebuilds native modules for Electron (npmRebuild). Tries a prebuilt binary first (prebuild-install),
 * then compiles against Electron's headers (node-gyp). Both need the network once; the result is cached.
 *
 * Usage: node scripts/prepare-electron-native.mjs [--print-path] [--force]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = 'better-sqlite3';
const STAMP = '.deckhand-electron-native.json';
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(projectRoot, 'package.json'));

/** The cached addon's path; must match electronNativeBindingPath in main/electron/native-binding.ts. */
export function nativeBindingPath(root, electronVersion) {
  return join(
    root,
    '.cache',
    'electron-native',
    electronVersion,
    MODULE,
    'build',
    'Release',
    'better_sqlite3.node',
  );
}

/** The version of an installed package, read from its package.json. */
function installedVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

/** Runs a command in `cwd`, streaming its output; returns whether it succeeded. */
function run(command, args, cwd) {
  console.log(`  $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  return result.status === 0;
}

/** Copies the module's sources (not its Node build) into `dest`. */
function copySources(source, dest) {
  cpSync(source, dest, {
    recursive: true,
    filter: (path) => {
      const rel = relative(source, path);
      return (
        rel !== 'build' &&
        !rel.startsWith(`build${sep}`) &&
        rel !== 'node_modules' &&
        !rel.startsWith(`node_modules${sep}`)
      );
    },
  });
}

function main(argv) {
  const electronVersion = installedVersion('electron');
  const binding = nativeBindingPath(projectRoot, electronVersion);
  if (argv.includes('--print-path')) {
    console.log(binding);
    return 0;
  }

  const moduleVersion = installedVersion(MODULE);
  const moduleDir = resolve(binding, '..', '..', '..');
  const stampFile = join(moduleDir, STAMP);
  const wanted = {
    module: MODULE,
    moduleVersion,
    electronVersion,
    platform: process.platform,
    arch: process.arch,
  };
  if (!argv.includes('--force') && existsSync(binding) && existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (Object.entries(wanted).every(([key, value]) => stamp[key] === value)) {
      console.log(
        `deckhand: ${MODULE} ${moduleVersion} for Electron ${electronVersion} is ready (${relative(projectRoot, binding)}).`,
      );
      return 0;
    }
  }

  console.log(
    `deckhand: building ${MODULE} ${moduleVersion} for Electron ${electronVersion} (${process.platform}-${process.arch}); node_modules stays built for Node.`,
  );
  const sourceDir = dirname(require.resolve(`${MODULE}/package.json`));
  const workDir = `${moduleDir}.tmp-${process.pid}`;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(dirname(workDir), { recursive: true });
  copySources(sourceDir, workDir);

  const builtBinding = join(workDir, 'build', 'Release', 'better_sqlite3.node');
  const prebuildInstall = require.resolve('prebuild-install/bin.js');
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  let ok =
    run(
      process.execPath,
      [
        prebuildInstall,
        '--runtime',
        'electron',
        '--target',
        electronVersion,
        '--arch',
        process.arch,
        '--platform',
        process.platform,
        '--verbose',
      ],
      workDir,
    ) && existsSync(builtBinding);
  if (!ok) {
    console.log('deckhand: no prebuilt binary; compiling against Electron headers instead.');
    // A separate devdir keeps Electron's headers apart from Node's in node-gyp's cache.
    const gypArgs = [
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      `--arch=${process.arch}`,
      '--dist-url=https://electronjs.org/headers',
      `--devdir=${join(homedir(), '.electron-gyp')}`,
    ];
    ok = run(process.execPath, [nodeGyp, ...gypArgs], workDir) && existsSync(builtBinding);
  }

  if (!ok) {
    rmSync(workDir, { recursive: true, force: true });
    console.error(
      [
        '',
        `deckhand: could not get ${MODULE} for Electron ${electronVersion}.`,
        'Both a prebuilt download (github.com) and compiling against Electron headers (electronjs.org) need',
        'the internet once. If you are offline: connect once and run `npm start` again, or copy',
        `${relative(projectRoot, moduleDir)} from a machine with the same OS, CPU and Electron version.`,
        'Compiling also needs Python 3 and a C++ toolchain (build-essential / Xcode / Visual Studio Build Tools).',
        'Tests, the CLI and the browser host (npm run start:browser) do not need this step.',
      ].join('\n'),
    );
    return 1;
  }

  rmSync(moduleDir, { recursive: true, force: true });
  renameSync(workDir, moduleDir);
  writeFileSync(stampFile, `${JSON.stringify(wanted, null, 2)}\n`);
  console.log(`deckhand: ready: ${relative(projectRoot, binding)}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
