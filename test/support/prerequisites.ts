/**
 * Tests that need something outside Node (a Debian package, root for namespaces) call
 * `requirePrerequisite`: on a developer machine a missing prerequisite skips the test with a printed
 * reason; with CI=true it fails, so CI never passes by skipping.
 */
import { execFileSync } from 'node:child_process';

/** True when `command` is on PATH. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the prerequisite is present. When absent: throws under CI=true, else prints the
 * reason and returns false so the caller can `it.skipIf(!present)`.
 */
export function requirePrerequisite(present: boolean, what: string, howToGet: string): boolean {
  if (present) return true;
  const reason = `missing prerequisite: ${what} (${howToGet})`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}; CI must provide it`);
  console.warn(`skipping: ${reason}`);
  return false;
}
