#!/usr/bin/env node
// `npm test`: typecheck, lint, unit + integration (vitest), build, end-to-end (Playwright against the
// browser host). Every runner runs even when an earlier one fails, and the last line sums them all:
// "N passed, N failed, N skipped" (typecheck and lint count as one check each).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const artifacts = 'test/artifacts';
mkdirSync(artifacts, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(title, command, args, env = {}) {
  process.stdout.write(`\n=== ${title}: ${command} ${args.join(' ')}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  process.stdout.write(
    `=== ${title}: ${result.status === 0 ? 'ok' : `failed (exit ${result.status ?? result.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return result.status === 0;
}

function countCheck(ok) {
  if (ok) totals.passed += 1;
  else totals.failed += 1;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

countCheck(
  run('typecheck', npx, ['tsc', '-p', 'tsconfig.node.json']) &
    run('typecheck', npx, ['tsc', '-p', 'tsconfig.web.json']) &
    run('typecheck', npx, ['tsc', '-p', 'tsconfig.test.json']),
);
countCheck(
  run('lint', npx, ['eslint', '--max-warnings', '0', '.']) & run('format', npx, ['prettier', '--check', '.']),
);

const vitestJson = join(artifacts, 'vitest.json');
rmSync(vitestJson, { force: true });
const vitestOk = run('unit + integration', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
const vitest = readJson(vitestJson);
if (vitest) {
  totals.passed += vitest.numPassedTests;
  totals.failed += vitest.numFailedTests;
  totals.skipped += vitest.numPendingTests + vitest.numTodoTests;
  if (!vitestOk && vitest.numFailedTests === 0) totals.failed += 1; // a suite failed to load
} else countCheck(false);

const buildOk = run('build', npx, ['electron-vite', 'build']);
countCheck(buildOk);
if (buildOk) {
  const playwrightJson = join(artifacts, 'playwright.json');
  rmSync(playwrightJson, { force: true });
  const e2eOk = run('end-to-end', npx, ['playwright', 'test', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
  });
  const playwright = readJson(playwrightJson);
  if (playwright?.stats) {
    totals.passed += playwright.stats.expected + playwright.stats.flaky;
    totals.failed += playwright.stats.unexpected;
    totals.skipped += playwright.stats.skipped;
    if (!e2eOk && playwright.stats.unexpected === 0) totals.failed += 1;
  } else countCheck(false);
}

const summary = `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
if (existsSync(artifacts)) writeFileSync(join(artifacts, 'summary.txt'), `${summary}\n`);
process.stdout.write(`\n${summary}\n`);
process.exitCode = totals.failed === 0 ? 0 : 1;
