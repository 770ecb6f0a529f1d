import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configureLine, openSerialStream } from '../../../../core/node-io/serial-stream';
import { requirePrerequisite } from '../../../support/prerequisites';
import { hasSocat, openPtyPair } from '../../../support/noisy-bridge';

describe('serial line settings', () => {
  it('sets the baud rate and raw 8N1 before opening, and bytes flow', async () => {
    if (!requirePrerequisite(hasSocat(), 'socat', 'apt-get install socat')) return;
    const pair = await openPtyPair();
    try {
      const received: Buffer[] = [];
      const far = openSerialStream(
        pair.b,
        (chunk) => received.push(chunk),
        () => undefined,
      );
      const near = openSerialStream(
        pair.a,
        () => undefined,
        () => undefined,
        9600,
      );
      const settings = execFileSync('stty', ['-F', pair.a, '-a'], { encoding: 'utf8' });
      expect(settings).toMatch(/speed 9600 baud/);
      expect(settings).toMatch(/-parenb/);
      expect(settings).toMatch(/cs8/);
      expect(settings).toMatch(/-echo\b/);
      near.write(Buffer.from('hello'));
      for (let i = 0; i < 50 && Buffer.concat(received).length < 5; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(Buffer.concat(received).toString()).toBe('hello');
      near.close();
      far.close();
    } finally {
      pair.close();
    }
  });

  it('says which port could not be set, with a coded error', () => {
    expect(() => configureLine('/dev/deckhand-no-such-port', 115200)).toThrow(
      expect.objectContaining({
        code: 'link_lost',
        message: expect.stringContaining('/dev/deckhand-no-such-port'),
      }),
    );
  });
});
