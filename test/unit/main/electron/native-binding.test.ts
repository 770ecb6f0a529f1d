import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronNativeBindingPath } from '../../../../main/electron/native-binding';

const projectRoot = resolve(import.meta.dirname, '../../../..');

describe('electronNativeBindingPath', () => {
  it('is under .cache/electron-native/<electron version>, outside node_modules', () => {
    expect(electronNativeBindingPath('/p', '45.5.0')).toBe(
      resolve('/p/.cache/electron-native/45.5.0/better-sqlite3/build/Release/better_sqlite3.node'),
    );
  });

  it('matches the path scripts/prepare-electron-native.mjs builds', () => {
    const printed = execFileSync(
      process.execPath,
      [resolve(projectRoot, 'scripts/prepare-electron-native.mjs'), '--print-path'],
      { encoding: 'utf8' },
    ).trim();
    const require = createRequire(resolve(projectRoot, 'package.json'));
    const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8'))
      .version as string;
    expect(printed).toBe(electronNativeBindingPath(projectRoot, electronVersion));
  });
});
