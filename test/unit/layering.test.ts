/**
 * Proves that eslint.config.mjs enforces ARCHITECTURE.md's layering: each forbidden import is
 * reported, and the allowed counterpart in the same folder is not (so the rule is not just noisy).
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('layering rules', () => {
  it.each([
    [
      'renderer importing node:fs',
      'renderer/src/features/probe.ts',
      "import { readFileSync } from 'node:fs';\nreadFileSync('x');\n",
    ],
    [
      'renderer importing fs without the node: prefix',
      'renderer/src/probe.ts',
      "import { readFileSync } from 'fs';\nreadFileSync('x');\n",
    ],
    [
      'renderer importing electron',
      'renderer/src/probe.ts',
      "import { ipcRenderer } from 'electron';\nvoid ipcRenderer;\n",
    ],
    [
      'renderer importing a runtime value from main',
      'renderer/src/probe.ts',
      "import { verbInputs } from '../../main/ipc/contract';\nvoid verbInputs;\n",
    ],
    [
      'renderer importing a service',
      'renderer/src/probe.ts',
      "import type { LogsService } from '../../main/services/logs-service';\nexport type X = LogsService;\n",
    ],
    [
      'renderer touching window.deckhand outside bridge.ts',
      'renderer/src/features/probe.ts',
      'export const api = window.deckhand;\n',
    ],
    [
      'a service importing electron',
      'main/services/probe.ts',
      "import { app } from 'electron';\nvoid app;\n",
    ],
    [
      'a service importing the Electron layer',
      'main/services/probe.ts',
      "import { x } from '../electron/window';\nvoid x;\n",
    ],
    [
      'a service importing better-sqlite3',
      'main/services/probe.ts',
      "import Database from 'better-sqlite3';\nvoid Database;\n",
    ],
    ['the CLI importing electron', 'main/cli/probe.ts', "import { app } from 'electron';\nvoid app;\n"],
    [
      'core importing better-sqlite3',
      'core/eventlog/probe.ts',
      "import Database from 'better-sqlite3';\nvoid Database;\n",
    ],
    ['core importing electron', 'core/probe.ts', "import { app } from 'electron';\nvoid app;\n"],
    [
      'core importing main',
      'core/eventlog/probe.ts',
      "import { openDatabase } from '../../main/db/database';\nvoid openDatabase;\n",
    ],
    [
      'the window factory importing ipcMain',
      'main/electron/probe.ts',
      "import { ipcMain } from 'electron';\nvoid ipcMain;\n",
    ],
    [
      'the agent importing main',
      'agent/probe.ts',
      "import { openDatabase } from '../main/db/database';\nvoid openDatabase;\n",
    ],
    [
      'hq importing main',
      'hq/probe.ts',
      "import { openDatabase } from '../main/db/database';\nvoid openDatabase;\n",
    ],
  ])('rejects %s', async (_what, filePath, code) => {
    expect(await layeringErrors(filePath, code)).not.toEqual([]);
  });

  it.each([
    [
      'renderer importing contract types',
      'renderer/src/probe.ts',
      "import type { VerbName } from '../../main/ipc/contract';\nexport type X = VerbName;\n",
    ],
    ['bridge.ts touching window.deckhand', 'renderer/src/bridge.ts', 'export const api = window.deckhand;\n'],
    [
      'a service importing main/db',
      'main/services/probe.ts',
      "import { openDatabase } from '../db/database';\nvoid openDatabase;\n",
    ],
    [
      'main/db importing better-sqlite3',
      'main/db/probe.ts',
      "import Database from 'better-sqlite3';\nvoid Database;\n",
    ],
    [
      'core importing node:crypto',
      'core/eventlog/probe.ts',
      "import { createHash } from 'node:crypto';\nvoid createHash;\n",
    ],
    [
      'the Electron layer importing electron',
      'main/electron/probe.ts',
      "import { app } from 'electron';\nvoid app;\n",
    ],
  ])('allows %s', async (_what, filePath, code) => {
    expect(await layeringErrors(filePath, code)).toEqual([]);
  });
});
