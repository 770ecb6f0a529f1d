/**
 * Ordering of version strings as HQ writes them (`2.4.0`, `2.10.1-rc1`): dotted numeric parts
 * compare as numbers, a pre-release suffix sorts before the release (semver's rule), anything else
 * compares as text. Used by the planner for `requires` and for model downgrades.
 */

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitPre(a);
  const [coreB = '', preB] = splitPre(b);
  const partsA = coreA.split('.');
  const partsB = coreB.split('.');
  for (let i = 0; i < Math.max(partsA.length, partsB.length); i += 1) {
    const diff = comparePart(partsA[i] ?? '0', partsB[i] ?? '0');
    if (diff !== 0) return diff;
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return preA < preB ? -1 : 1;
}

function splitPre(version: string): [string, string | undefined] {
  const dash = version.indexOf('-');
  return dash < 0 ? [version, undefined] : [version.slice(0, dash), version.slice(dash + 1)];
}

function comparePart(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A parsed `requires` entry: `NAME`, `NAME>=VERSION`, `NAME=VERSION` (also `>`, `<=`, `<`). */
export interface Requirement {
  readonly name: string;
  readonly op: '>=' | '>' | '=' | '<=' | '<' | null;
  readonly version: string | null;
  readonly text: string;
}

/** Parses a requirement, or null when it is not one. */
export function parseRequirement(text: string): Requirement | null {
  const match = /^\s*([A-Za-z0-9._-]+)\s*(?:(>=|<=|=|>|<)\s*([A-Za-z0-9._+-]+))?\s*$/.exec(text);
  if (match === null) return null;
  const op = (match[2] ?? null) as Requirement['op'];
  return { name: match[1] as string, op, version: match[3] ?? null, text: text.trim() };
}

/** True when `version` satisfies the requirement's comparison. */
export function satisfies(version: string, requirement: Requirement): boolean {
  if (requirement.op === null || requirement.version === null) return true;
  const order = compareVersions(version, requirement.version);
  switch (requirement.op) {
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '=':
      return order === 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
  }
}
