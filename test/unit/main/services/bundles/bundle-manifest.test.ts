import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDuration,
  parseTargetGroups,
  readManifest,
} from '../../../../../main/services/bundles/bundle-manifest';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs();
const now = new Date('2026-11-01T00:00:00Z');

describe('bundle create arguments', () => {
  it('groups repeated --release and --model flags', () => {
    const { targets, rest } = parseTargetGroups(
      [
        '--keys',
        'k',
        '--release',
        'a.img',
        '--name',
        'app',
        '--version',
        '1.2',
        '--hardware',
        'orin, rpi5',
        '--install',
        'rauc',
        '--model',
        'm.onnx',
        '--name',
        'det',
        '--version',
        '3',
        '--hardware',
        'orin',
        '--out',
        'x.dhb',
      ],
      now,
    );
    expect(rest).toEqual(['--keys', 'k', '--out', 'x.dhb']);
    expect(targets.map((t) => t.custom)).toEqual([
      {
        kind: 'release',
        name: 'app',
        version: '1.2',
        hardware: ['orin', 'rpi5'],
        install: { method: 'rauc' },
        createdAt: now.toISOString(),
      },
      { kind: 'model', name: 'det', version: '3', hardware: ['orin'], createdAt: now.toISOString() },
    ]);
  });

  it('refuses incomplete or misplaced groups as usage errors', () => {
    expect(() => parseTargetGroups(['--release', 'a.img', '--version', '1'], now)).toThrow(
      expect.objectContaining({ code: 'usage' }),
    );
    expect(() => parseTargetGroups(['--name', 'x'], now)).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(() =>
      parseTargetGroups(['--release', 'a', '--name', 'x', '--name', 'y', '--version', '1'], now),
    ).toThrow(/twice/);
  });

  it('parses durations', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(() => parseDuration('30 days')).toThrow(expect.objectContaining({ code: 'usage' }));
  });

  it('reads a manifest and names the broken target', () => {
    const dir = tempDir();
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'expires: 7d\ntargets:\n  - file: fw.bin\n    kind: policy\n    name: rollout\n    version: "1"\n    hardware: []\n',
    );
    expect(readManifest(good)).toEqual({
      expires: '7d',
      targets: [
        {
          file: join(dir, 'fw.bin'),
          custom: { kind: 'policy', name: 'rollout', version: '1', hardware: [] },
        },
      ],
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'targets:\n  - file: fw.bin\n    kind: firmware\n    name: x\n    version: "1"\n    hardware: []\n',
    );
    expect(() => readManifest(bad)).toThrow(
      expect.objectContaining({ code: 'invalid_input', message: expect.stringContaining('target 1') }),
    );
  });
});

describe('install methods and parameters (issue #8: vendor artifacts over SSH)', () => {
  it('takes install parameters from flags and infers the method of .raucb, .mender and .swu', () => {
    const { targets } = parseTargetGroups(
      [
        '--model',
        'det.onnx',
        '--name',
        'det',
        '--version',
        '3',
        '--install',
        'copy',
        '--install-command',
        'mv {file} /opt/models/det.onnx',
        '--install-health',
        'test -s /opt/models/det.onnx',
        '--release',
        'os.raucb',
        '--name',
        'os',
        '--version',
        '2.4.0',
        '--hardware',
        'board',
        '--release',
        'os.mender',
        '--name',
        'os-m',
        '--version',
        '1',
        '--release',
        'os.swu',
        '--name',
        'os-s',
        '--version',
        '1',
      ],
      now,
    );
    expect(targets.map((t) => t.custom.install)).toEqual([
      {
        method: 'copy',
        params: { command: 'mv {file} /opt/models/det.onnx', health: 'test -s /opt/models/det.onnx' },
      },
      { method: 'rauc' },
      { method: 'mender' },
      { method: 'swupdate' },
    ]);
  });

  it('refuses install parameters without a method', () => {
    expect(() =>
      parseTargetGroups(
        ['--model', 'm.onnx', '--name', 'm', '--version', '1', '--install-dest', '/opt/m'],
        now,
      ),
    ).toThrow(expect.objectContaining({ code: 'usage' }));
  });

  it('reads install parameters from a manifest', () => {
    const dir = tempDir();
    const manifest = join(dir, 'bundle.yaml');
    writeFileSync(
      manifest,
      [
        'targets:',
        '  - file: det.onnx',
        '    kind: model',
        '    name: det',
        '    version: "3"',
        '    hardware: [orin]',
        '    install:',
        '      method: copy',
        '      params: { command: "mv {file} /opt/models/det.onnx", health: "test -s /opt/models/det.onnx" }',
      ].join('\n'),
    );
    expect(readManifest(manifest).targets[0]?.custom.install).toEqual({
      method: 'copy',
      params: { command: 'mv {file} /opt/models/det.onnx', health: 'test -s /opt/models/det.onnx' },
    });
  });
});
