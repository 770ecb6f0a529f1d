/**
 * The deploy planner: pure. Given a verified target, what each device reports about itself and the
 * bundle's policy, it decides per device whether to deploy, skip (already there) or refuse, with a
 * coded reason a technician can act on. The engine runs only what the plan allows; the device
 * checks HQ's signatures again itself, so the plan is a courtesy, never the last line of defence.
 */
import type { ErrorCode } from '../result';
import { compareVersions, parseRequirement, satisfies } from './version-order';

/** The facts about a target the planner needs (from HQ's signed custom metadata). */
export interface PlanTarget {
  readonly path: string;
  readonly kind: 'release' | 'model' | 'policy';
  readonly name: string;
  readonly version: string;
  readonly length: number;
  readonly releaseCounter: number;
  readonly hardware: readonly string[];
  /** `NAME`, `NAME>=VERSION`, … : what must already run on the device. */
  readonly requires: readonly string[];
  /** Sites allowed to receive it; absent = any. */
  readonly sites?: readonly string[] | undefined;
  /** Device serial numbers allowed to receive it; absent = any. */
  readonly devices?: readonly string[] | undefined;
}

/** One thing installed on a device. */
export interface PlanInstalled {
  readonly name: string;
  readonly version: string;
  readonly state: 'active' | 'trial' | 'inactive';
}

/** What a device reported (null fields: the device does not say). */
export interface PlanDevice {
  readonly uri: string;
  readonly hardware: string | null;
  readonly serialNumber: string | null;
  readonly freeBytes: number | null;
  readonly counter: number | null;
  readonly releases: readonly PlanInstalled[];
  readonly models: readonly PlanInstalled[];
}

/** An HQ-signed permission to go back to an older version. */
export interface DowngradeAllowance {
  readonly name: string;
  readonly version: string;
  /** Serial numbers it applies to; absent = all. */
  readonly devices?: readonly string[] | undefined;
}

/** The bundle's policy and the context of this deploy. */
export interface PlanPolicy {
  readonly now: Date;
  /** When the bundle's metadata expires (ISO), or null when unknown. */
  readonly bundleExpires: string | null;
  readonly site: string | null;
  readonly downgrades: readonly DowngradeAllowance[];
  /** Free space needed as a multiple of the target size (staged upload + installed copy). */
  readonly spaceFactor?: number;
}

/** The decision for one device. */
export type DevicePlan =
  | { readonly device: string; readonly action: 'deploy'; readonly note: string | null }
  | { readonly device: string; readonly action: 'skip'; readonly note: string }
  | {
      readonly device: string;
      readonly action: 'refuse';
      readonly code: ErrorCode;
      readonly reason: string;
    };

/** Plans one target for many devices. */
export function planDeploy(
  target: PlanTarget,
  devices: readonly PlanDevice[],
  policy: PlanPolicy,
): DevicePlan[] {
  return devices.map((device) => planDevice(target, device, policy));
}

/** Plans one target for one device; the first refusal found wins, in the order a technician fixes them. */
export function planDevice(target: PlanTarget, device: PlanDevice, policy: PlanPolicy): DevicePlan {
  const refuse = (code: ErrorCode, reason: string): DevicePlan => ({
    device: device.uri,
    action: 'refuse',
    code,
    reason,
  });
  const label = `${target.name} ${target.version}`;

  if (target.kind === 'policy')
    return refuse('invalid_input', `${label} is a policy, not something to install on a device.`);
  if (policy.bundleExpires !== null && Date.parse(policy.bundleExpires) <= policy.now.getTime())
    return refuse(
      'expired',
      `The bundle expired on ${policy.bundleExpires}. Ask HQ for a fresh bundle before deploying.`,
    );
  if (device.hardware === null)
    return refuse(
      'incompatible_hardware',
      'The device did not say what hardware it is; Deckhand will not guess.',
    );
  if (!target.hardware.includes(device.hardware))
    return refuse(
      'incompatible_hardware',
      `${label} is built for ${target.hardware.join(', ') || 'no hardware'}, and this device is ${device.hardware}.`,
    );
  if (
    target.devices !== undefined &&
    (device.serialNumber === null || !target.devices.includes(device.serialNumber))
  )
    return refuse(
      'not_allowed',
      `HQ allowed ${label} only on listed devices, and ${device.serialNumber ?? 'this device'} is not one of them.`,
    );
  if (target.sites !== undefined && (policy.site === null || !target.sites.includes(policy.site)))
    return refuse(
      'not_allowed',
      `HQ allowed ${label} only at ${target.sites.join(', ')}; this laptop is set to ${policy.site ?? 'no site'}.`,
    );

  const installed = target.kind === 'release' ? device.releases : device.models;
  const running =
    installed.find((item) => item.state !== 'inactive' && item.name === target.name) ??
    (target.kind === 'release' ? installed.find((item) => item.state !== 'inactive') : undefined);
  if (running !== undefined && running.name === target.name && running.version === target.version)
    return running.state === 'active'
      ? { device: device.uri, action: 'skip', note: `${label} is already running and confirmed.` }
      : {
          device: device.uri,
          action: 'deploy',
          note: `${label} is on trial; the deploy will check health and commit it.`,
        };

  const allowance = policy.downgrades.find(
    (entry) =>
      entry.name === target.name &&
      entry.version === target.version &&
      (entry.devices === undefined ||
        (device.serialNumber !== null && entry.devices.includes(device.serialNumber))),
  );
  if (
    target.kind === 'release' &&
    device.counter !== null &&
    target.releaseCounter <= device.counter &&
    !allowance
  )
    return refuse(
      'rollback',
      `${label} has release counter ${target.releaseCounter}, and the device already reached ${device.counter}. Going back needs a downgrade allowance signed by HQ.`,
    );
  if (
    target.kind === 'model' &&
    running !== undefined &&
    compareVersions(target.version, running.version) < 0 &&
    !allowance
  )
    return refuse(
      'rollback',
      `The device runs ${running.name} ${running.version}, newer than ${target.version}. Going back needs a downgrade allowance signed by HQ.`,
    );

  for (const text of target.requires) {
    const requirement = parseRequirement(text);
    if (requirement === null)
      return refuse('requirement_unmet', `HQ wrote a requirement Deckhand cannot read: "${text}".`);
    const candidates = [...device.releases, ...device.models].filter(
      (item) => item.state !== 'inactive' && item.name === requirement.name,
    );
    if (!candidates.some((item) => satisfies(item.version, requirement)))
      return refuse(
        'requirement_unmet',
        `${label} needs ${requirement.text} on the device; it runs ${
          candidates.map((item) => `${item.name} ${item.version}`).join(', ') || `no ${requirement.name}`
        }. Deploy that first.`,
      );
  }

  const needed = target.length * (policy.spaceFactor ?? 2);
  if (device.freeBytes !== null && device.freeBytes < needed)
    return refuse(
      'insufficient_space',
      `The device has ${formatMiB(device.freeBytes)} free and ${label} needs about ${formatMiB(needed)}. Free space on the device first.`,
    );
  return {
    device: device.uri,
    action: 'deploy',
    note: allowance ? `Downgrade allowed by HQ for ${label}.` : null,
  };
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MiB`;
}
