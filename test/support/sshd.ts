/**
 * Tests that need a real SSH server: Debian's OpenSSH sshd on loopback (main/adapters/ssh/dev-sshd.ts,
 * shared with `deckhand bench ssh`), skipped with a reason locally when it is not installed and
 * required under CI=true.
 */
import { hasSshd, startDevSshd, type DevSshd, type DevSshdOptions } from '../../main/adapters/ssh/dev-sshd';
import { requirePrerequisite } from './prerequisites';

export type { DevSshd };

/** True when sshd can run here (else skips, or fails under CI). */
export function sshdAvailable(): boolean {
  return requirePrerequisite(hasSshd(), 'OpenSSH server /usr/sbin/sshd', 'apt-get install openssh-server');
}

/** Starts a dev sshd; the caller stops it (afterAll/afterEach). */
export function startTestSshd(options: DevSshdOptions): Promise<DevSshd> {
  return startDevSshd(options);
}
