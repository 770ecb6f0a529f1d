/**
 * A Mender "device" on this machine: Debian's mender-client 3.4 in standalone mode, run inside a
 * private mount namespace (`unshare -m`) per command, with temp folders bind-mounted over
 * /etc/mender (artifact_info, mender.conf), /var/lib (mender's state: the package points
 * /var/lib/mender at /data/mender, which does not exist here) and /usr/share/mender/modules/v3
 * (update modules). The machine's own folders are never written. Artifacts are made with Debian's
 * mender-artifact, as `single-file` update-module artifacts (the module Debian ships, with rollback).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote, type RemoteShell } from '../../main/adapters/ssh/remote-shell';
import { createLocalShell } from './local-shell';

/** The device type the lab device reports and its artifacts name. */
export const MENDER_LAB_DEVICE_TYPE = 'deckhand-lab';

const SYSTEM_MODULES = '/usr/share/mender/modules/v3';

/** A lab device and its artifact factory. */
export interface MenderLab {
  readonly dir: string;
  /** Runs commands as the device (inside the namespace). */
  readonly shell: RemoteShell;
  /** The device's filesystem folder where single-file artifacts land. */
  readonly deviceDir: string;
  /**
   * Environment for an sshd in front of the lab: PATH finds a `mender` wrapper that enters the
   * namespace, and MENDER_DATA_DIR names the state folder as seen from outside it.
   */
  readonly sshEnv: Readonly<Record<string, string>>;
  /** Builds a single-file artifact that installs `content` as `deviceDir/fileName`. */
  buildArtifact(
    artifactName: string,
    fileName: string,
    content: string,
    options?: { readonly deviceType?: string },
  ): string;
}

/** True when mender, mender-artifact, unshare and the single-file module are here. */
export function menderLabAvailable(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v mender && command -v mender-artifact && command -v unshare'], {
      stdio: 'ignore',
    });
    return readdirSync(SYSTEM_MODULES).includes('single-file') && process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** Creates a fresh device in `dir`, running `factoryArtifact`. */
export function createMenderLab(dir: string, factoryArtifact = 'factory-1.0'): MenderLab {
  const etc = join(dir, 'ns-etc');
  const varLib = join(dir, 'ns-var-lib');
  const modules = join(dir, 'ns-modules');
  const deviceDir = join(dir, 'device');
  for (const folder of [etc, join(varLib, 'mender'), modules, deviceDir])
    mkdirSync(folder, { recursive: true });
  writeFileSync(join(etc, 'artifact_info'), `artifact_name=${factoryArtifact}\n`);
  writeFileSync(join(etc, 'mender.conf'), '{"ServerURL": "https://localhost"}\n');
  writeFileSync(join(varLib, 'mender', 'device_type'), `device_type=${MENDER_LAB_DEVICE_TYPE}\n`);
  copyFileSync(join(SYSTEM_MODULES, 'single-file'), join(modules, 'single-file'));
  const mounts = [
    `mount --bind ${shellQuote(etc)} /etc/mender`,
    `mount --bind ${shellQuote(varLib)} /var/lib`,
    `mount --bind ${shellQuote(modules)} ${SYSTEM_MODULES}`,
  ].join(' && ');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'mender'),
    `#!/bin/sh\nexec unshare -m --propagation private sh -c ${shellQuote(`${mounts} && exec /usr/bin/mender "$@"`)} mender "$@"\n`,
    { mode: 0o755 },
  );
  const local = createLocalShell();
  const shell: RemoteShell = {
    exec: (command, options) =>
      local.exec(
        `unshare -m --propagation private sh -c ${shellQuote(`${mounts} && exec sh -c "$0"`)} ${shellQuote(command)}`,
        options,
      ),
  };
  let counter = 0;
  return {
    dir,
    shell,
    deviceDir,
    sshEnv: {
      PATH: `${bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      MENDER_DATA_DIR: join(varLib, 'mender'),
    },
    buildArtifact(artifactName, fileName, content, options = {}) {
      counter += 1;
      const work = join(dir, `artifact-${counter}`);
      mkdirSync(work);
      writeFileSync(join(work, fileName), content);
      writeFileSync(join(work, 'dest_dir'), deviceDir);
      writeFileSync(join(work, 'filename'), fileName);
      const out = join(dir, `${artifactName}.mender`);
      execFileSync(
        'mender-artifact',
        [
          'write',
          'module-image',
          '-T',
          'single-file',
          '-n',
          artifactName,
          '-t',
          options.deviceType ?? MENDER_LAB_DEVICE_TYPE,
          '-o',
          out,
          '-f',
          fileName,
          '-f',
          'dest_dir',
          '-f',
          'filename',
        ],
        { cwd: work, stdio: 'ignore' },
      );
      return out;
    },
  };
}
