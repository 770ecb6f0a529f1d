/** Parsing RAUC 1.8's real outputs, recorded from Debian's rauc (test/fixtures/rauc). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootedSlot, parseRaucProgress, parseRaucStatus } from '../../../../../main/adapters/ssh/rauc-status';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../../fixtures/rauc/${name}`, import.meta.url), 'utf8');

describe('parseRaucStatus', () => {
  it('reads a fresh device: two empty slots, booted from A', () => {
    const status = parseRaucStatus(fixture('status-fresh.json'));
    expect(status).toMatchObject({ compatible: 'deckhand-lab-board', booted: 'A', bootPrimary: null });
    expect(status.slots.map((slot) => [slot.name, slot.bootname, slot.state, slot.bundleVersion])).toEqual([
      ['rootfs.0', 'A', 'booted', null],
      ['rootfs.1', 'B', 'inactive', null],
    ]);
    expect(bootedSlot(status)?.name).toBe('rootfs.0');
  });

  it('reads what an install wrote into the other slot', () => {
    const status = parseRaucStatus(fixture('status-installed.json'));
    const written = status.slots.find((slot) => slot.name === 'rootfs.1');
    expect(written).toMatchObject({
      bundleCompatible: 'deckhand-lab-board',
      bundleVersion: '2.4.0',
      installStatus: 'ok',
      imageSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      activatedAt: expect.stringMatching(/^2\d{3}-/),
    });
  });

  it('reads json-pretty after a reboot into B, with GLib warnings before the JSON', () => {
    const status = parseRaucStatus(
      `(rauc:1): rauc-WARNING **: Failed getting primary slot\n${fixture('status-booted-b.json')}`,
    );
    expect(status.booted).toBe('B');
    expect(bootedSlot(status)).toMatchObject({ name: 'rootfs.1', bundleVersion: '2.4.0' });
  });

  it('rejects output that is not RAUC status', () => {
    expect(() => parseRaucStatus('rauc: command not found')).toThrow(
      expect.objectContaining({ code: 'protocol_error' }),
    );
    expect(() => parseRaucStatus('{"slots": 3}')).toThrow(
      expect.objectContaining({ code: 'protocol_error' }),
    );
  });
});

describe('parseRaucProgress', () => {
  it('finds every percentage of `rauc install`, in order, ending at 100', () => {
    const percents = parseRaucProgress(fixture('install-output.txt'));
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(100);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents).toContain(40);
  });

  it('ignores lines that are no progress', () => {
    expect(parseRaucProgress('installing\nidle\nInstalling `/x.raucb` succeeded\n')).toEqual([]);
  });
});
