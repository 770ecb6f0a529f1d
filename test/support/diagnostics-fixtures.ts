/** Reads a recorded tool output from test/fixtures/diagnostics. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file under test/fixtures/diagnostics. */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../fixtures/diagnostics/${relative}`, import.meta.url));
}

/** Contents of a file under test/fixtures/diagnostics. */
export function fixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}
