/**
 * A RAUC "device" in a temp folder: Debian's rauc service on a private D-Bus daemon (RAUC's client
 * finds it through DBUS_SYSTEM_BUS_ADDRESS), bootloader=noop, two raw slots backed by plain files,
 * the mount prefix and status file inside the folder, and a keyring from a self-made CA. A reboot
 * script restarts the service "booted" from the other slot (the noop bootloader cannot tell which
 * slot is primary, so a reboot toggles), which is what the SSH session runs as its reboot command.
 * Bundles are real: `rauc bundle` signs them with the CA's key (mksquashfs builds the image).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, requirePrerequisite } from './prerequisites';

/** Prerequisites: rauc, dbus-daemon, mksquashfs, openssl, root for loop-mounting bundles. */
export function raucAvailable(): boolean {
  return (
    requirePrerequisite(hasCommand('rauc'), 'rauc', 'apt-get install rauc') &&
    requirePrerequisite(hasCommand('dbus-daemon'), 'dbus-daemon', 'apt-get install dbus-daemon') &&
    requirePrerequisite(hasCommand('mksquashfs'), 'mksquashfs', 'apt-get install squashfs-tools') &&
    requirePrerequisite(hasCommand('openssl'), 'openssl', 'apt-get install openssl') &&
    requirePrerequisite(process.getuid?.() === 0, 'root (RAUC loop-mounts bundles)', 'run the tests as root')
  );
}

/** The compatible string of the lab's system.conf (and of its bundles). */
export const RAUC_LAB_COMPATIBLE = 'deckhand-lab-board';

/** A running RAUC lab. */
export interface RaucLab {
  readonly dir: string;
  /** Environment the device's commands need (sshd SetEnv): the private bus address. */
  readonly env: Readonly<Record<string, string>>;
  /** Shell command that "reboots" the device (restarts the service from the other slot). */
  readonly rebootCommand: string;
  /** Path of a slot's backing file, by bootname (A or B). */
  slotFile(bootname: 'A' | 'B'): string;
  /** Builds and signs a bundle holding `payload` as the rootfs image. */
  makeBundle(version: string, payload: Buffer, compatible?: string): string;
  stop(): Promise<void>;
}

/** Sets up the lab in `dir` and starts D-Bus and the rauc service (booted from slot A). */
export async function startRaucLab(dir: string, slotBytes = 1024 * 1024): Promise<RaucLab> {
  mkdirSync(join(dir, 'mnt'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const cert = join(dir, 'ca.cert.pem');
  const key = join(dir, 'ca.key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30'].concat([
      '-subj',
      '/O=Deckhand test/CN=rauc-lab',
    ]),
    { stdio: 'ignore' },
  );
  for (const name of ['A', 'B']) writeFileSync(join(dir, `slot-${name}.img`), Buffer.alloc(slotBytes));
  const conf = join(dir, 'system.conf');
  writeFileSync(
    conf,
    [
      '[system]',
      `compatible=${RAUC_LAB_COMPATIBLE}`,
      'bootloader=noop',
      `mountprefix=${join(dir, 'mnt')}`,
      `statusfile=${join(dir, 'data', 'status.raucs')}`,
      '',
      '[keyring]',
      `path=${cert}`,
      '',
      '[slot.rootfs.0]',
      `device=${join(dir, 'slot-A.img')}`,
      'type=raw',
      'bootname=A',
      '',
      '[slot.rootfs.1]',
      `device=${join(dir, 'slot-B.img')}`,
      'type=raw',
      'bootname=B',
      '',
    ].join('\n'),
  );
  const socket = join(dir, 'bus.sock');
  writeFileSync(
    join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  const env = { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
  const dbus: ChildProcess = spawn('dbus-daemon', ['--config-file', join(dir, 'bus.conf'), '--nofork'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline || dbus.exitCode !== null) throw new Error('dbus-daemon did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The service runs detached from the test (the reboot script restarts it over SSH); its pid is
  // kept in rauc.pid so stop() can end it.
  const pidFile = join(dir, 'rauc.pid');
  const reboot = join(dir, 'reboot.sh');
  writeFileSync(
    reboot,
    `#!/bin/sh
# Simulated reboot for bootloader=noop: restart the rauc service booted from the slot given as $1,
# or from the other slot than the one booted now.
set -e
export DBUS_SYSTEM_BUS_ADDRESS='${env.DBUS_SYSTEM_BUS_ADDRESS}'
next="$1"
if [ -z "$next" ]; then
  booted=$(rauc status --output-format=json 2>/dev/null | sed -n 's/.*"booted":"\\([^"]*\\)".*/\\1/p')
  if [ "$booted" = A ]; then next=B; else next=A; fi
fi
if [ -f '${pidFile}' ]; then
  pid=$(cat '${pidFile}')
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
fi
setsid rauc service --conf='${conf}' --override-boot-slot="$next" >>'${join(dir, 'service.log')}' 2>&1 </dev/null &
echo $! > '${pidFile}'
i=0
until rauc status >/dev/null 2>&1; do
  i=$((i+1)); [ $i -lt 200 ] || { echo "rauc service did not come up" >&2; exit 1; }
  sleep 0.05
done
`,
    { mode: 0o755 },
  );
  execFileSync('sh', [reboot, 'A'], { stdio: 'ignore' });
  return {
    dir,
    env,
    rebootCommand: `sh ${reboot}`,
    slotFile: (bootname) => join(dir, `slot-${bootname}.img`),
    makeBundle(version, payload, compatible = RAUC_LAB_COMPATIBLE) {
      const content = join(dir, `bundle-${version}`);
      mkdirSync(content, { recursive: true });
      writeFileSync(join(content, 'rootfs.img'), payload);
      writeFileSync(
        join(content, 'manifest.raucm'),
        `[update]\ncompatible=${compatible}\nversion=${version}\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=rootfs.img\n`,
      );
      const bundle = join(dir, `update-${version}.raucb`);
      execFileSync('rauc', ['bundle', `--cert=${cert}`, `--key=${key}`, content, bundle], {
        stdio: 'ignore',
      });
      return bundle;
    },
    async stop() {
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      if (dbus.exitCode === null) {
        const exited = once(dbus, 'exit');
        dbus.kill('SIGTERM');
        await exited;
      }
    },
  };
}
