import { describe, expect, it } from 'vitest';
import {
  planDeploy,
  planDevice,
  type PlanDevice,
  type PlanPolicy,
  type PlanTarget,
} from '../../../../core/deploy/planner';
import { compareVersions } from '../../../../core/deploy/version-order';

const release: PlanTarget = {
  path: 'releases/edge-os/2.4.0/edge-os.img',
  kind: 'release',
  name: 'edge-os',
  version: '2.4.0',
  length: 100 * 1048576,
  releaseCounter: 24,
  hardware: ['jetson-orin', 'rpi4'],
  requires: [],
};
const model: PlanTarget = {
  path: 'models/detector/1.2.0/detector.onnx',
  kind: 'model',
  name: 'detector',
  version: '1.2.0',
  length: 1048576,
  releaseCounter: 0,
  hardware: ['jetson-orin'],
  requires: ['edge-os>=2.3'],
};
const device: PlanDevice = {
  uri: 'tcp://10.0.0.5:7878',
  hardware: 'jetson-orin',
  serialNumber: 'SN-1',
  freeBytes: 10 * 1024 * 1048576,
  counter: 23,
  releases: [{ name: 'edge-os', version: '2.3.0', state: 'active' }],
  models: [],
};
const policy: PlanPolicy = {
  now: new Date('2026-11-27T12:00:00Z'),
  bundleExpires: '2026-12-27T00:00:00Z',
  site: 'rig-7',
  downgrades: [],
};

function refusal(target: PlanTarget, dev: PlanDevice, pol: PlanPolicy = policy) {
  const plan = planDevice(target, dev, pol);
  if (plan.action !== 'refuse') throw new Error(`expected a refusal, got ${plan.action}`);
  return plan;
}

describe('deploy planner', () => {
  it('deploys a newer compatible release', () => {
    expect(planDevice(release, device, policy)).toEqual({ device: device.uri, action: 'deploy', note: null });
  });

  it('refuses hardware it was not built for, and devices that do not say', () => {
    expect(refusal(release, { ...device, hardware: 'x86-gateway' })).toMatchObject({
      code: 'incompatible_hardware',
      reason: expect.stringContaining('jetson-orin, rpi4'),
    });
    expect(refusal(release, { ...device, hardware: null }).code).toBe('incompatible_hardware');
  });

  it('enforces anti-rollback: the counter must rise unless HQ signed a downgrade', () => {
    expect(refusal(release, { ...device, counter: 24 }).code).toBe('rollback');
    expect(refusal(release, { ...device, counter: 30 }).reason).toContain('reached 30');
    const allowed = { ...policy, downgrades: [{ name: 'edge-os', version: '2.4.0' }] };
    expect(planDevice(release, { ...device, counter: 30 }, allowed)).toMatchObject({
      action: 'deploy',
      note: expect.stringContaining('Downgrade allowed'),
    });
    const forOthers = { ...policy, downgrades: [{ name: 'edge-os', version: '2.4.0', devices: ['SN-9'] }] };
    expect(refusal(release, { ...device, counter: 30 }, forOthers).code).toBe('rollback');
    const otherVersion = { ...policy, downgrades: [{ name: 'edge-os', version: '2.3.9' }] };
    expect(refusal(release, { ...device, counter: 30 }, otherVersion).code).toBe('rollback');
  });

  it('refuses a model older than the one running without an allowance', () => {
    const running = {
      ...device,
      models: [{ name: 'detector', version: '1.10.0', state: 'active' as const }],
    };
    expect(refusal(model, running).code).toBe('rollback');
  });

  it('checks requirements against what runs, not what is merely installed', () => {
    expect(planDevice(model, device, policy).action).toBe('deploy');
    const old = { ...device, releases: [{ name: 'edge-os', version: '2.2.9', state: 'active' as const }] };
    expect(refusal(model, old)).toMatchObject({
      code: 'requirement_unmet',
      reason: expect.stringContaining('runs edge-os 2.2.9'),
    });
    const inactive = {
      ...device,
      releases: [
        { name: 'edge-os', version: '2.2.9', state: 'active' as const },
        { name: 'edge-os', version: '2.5.0', state: 'inactive' as const },
      ],
    };
    expect(refusal(model, inactive).code).toBe('requirement_unmet');
    expect(refusal(model, { ...device, releases: [] }).reason).toContain('no edge-os');
    expect(refusal({ ...model, requires: ['edge-os >= '] }, device).reason).toContain('cannot read');
  });

  it('honours the device and site allowlists', () => {
    expect(refusal({ ...release, devices: ['SN-2'] }, device).code).toBe('not_allowed');
    expect(planDevice({ ...release, devices: ['SN-1'] }, device, policy).action).toBe('deploy');
    expect(refusal({ ...release, sites: ['rig-9'] }, device).reason).toContain('set to rig-7');
    expect(refusal({ ...release, sites: ['rig-7'] }, device, { ...policy, site: null }).code).toBe(
      'not_allowed',
    );
    expect(planDevice({ ...release, sites: ['rig-7'] }, device, policy).action).toBe('deploy');
  });

  it('refuses an expired bundle', () => {
    expect(refusal(release, device, { ...policy, bundleExpires: '2026-11-27T11:59:59Z' }).code).toBe(
      'expired',
    );
    expect(planDevice(release, device, { ...policy, bundleExpires: null }).action).toBe('deploy');
  });

  it('refuses when the device lacks room for the staged upload and the installed copy', () => {
    expect(refusal(release, { ...device, freeBytes: 150 * 1048576 })).toMatchObject({
      code: 'insufficient_space',
      reason: expect.stringContaining('150 MiB free'),
    });
    expect(planDevice(release, { ...device, freeBytes: null }, policy).action).toBe('deploy');
  });

  it('skips what already runs confirmed, and finishes what is on trial', () => {
    const done = {
      ...device,
      counter: 24,
      releases: [{ name: 'edge-os', version: '2.4.0', state: 'active' as const }],
    };
    expect(planDevice(release, done, policy)).toMatchObject({ action: 'skip' });
    const trial = { ...done, releases: [{ name: 'edge-os', version: '2.4.0', state: 'trial' as const }] };
    expect(planDevice(release, trial, policy)).toMatchObject({
      action: 'deploy',
      note: expect.stringContaining('trial'),
    });
  });

  it('refuses to install a policy target and plans each device on its own', () => {
    expect(refusal({ ...release, kind: 'policy' }, device).code).toBe('invalid_input');
    const plans = planDeploy(release, [device, { ...device, uri: 'tcp://b', hardware: 'x86' }], policy);
    expect(plans.map((plan) => plan.action)).toEqual(['deploy', 'refuse']);
  });
});

describe('version order', () => {
  it('compares dotted numbers numerically and puts pre-releases first', () => {
    expect(compareVersions('2.10.0', '2.9.9')).toBeGreaterThan(0);
    expect(compareVersions('2.3', '2.3.0')).toBe(0);
    expect(compareVersions('2.4.0-rc1', '2.4.0')).toBeLessThan(0);
    expect(compareVersions('2.4.0-rc1', '2.4.0-rc2')).toBeLessThan(0);
  });
});
