/**
 * Reading what SWUpdate 2022.12 and mender-client 3.4 print, from output recorded off Debian's real
 * binaries (the integration tests run them live).
 */
import { describe, expect, it } from 'vitest';
import {
  MenderProgress,
  menderErrorCode,
  menderErrors,
  releaseOfArtifact,
} from '../../../../../main/adapters/ssh/mender-installer';
import {
  parseSwupdateOutput,
  swupdateCommand,
  swupdateErrorCode,
  SwupdateProgress,
} from '../../../../../main/adapters/ssh/swupdate-installer';

const SWUPDATE_OK = `[INFO ] : SWUPDATE started :  Software Update started !
[TRACE] : SWUPDATE running :  [swupdate_verify_file] : Verified OK
[TRACE] : SWUPDATE running :  [network_initializer] : Valid image found: copying to FLASH
[INFO ] : SWUPDATE running :  Installation in progress
[TRACE] : SWUPDATE running :  [install_single_image] : Found installer for stream payload.bin rawfile
[INFO ] : SWUPDATE successful ! SWUPDATE successful !
[INFO ] : No SWUPDATE running :  Waiting for requests...
[INFO ] : SWUPDATE running :  [endupdate] : SWUpdate was successful !
`;

// A refused image: 2022.12 still prints "SWUpdate was successful" from endupdate.
const SWUPDATE_REFUSED = `[INFO ] : SWUPDATE started :  Software Update started !
[TRACE] : SWUPDATE running :  [check_hw_compatibility] : Hardware deckhand-lab Revision: 1.0
[INFO ] : No SWUPDATE running :  Waiting for requests...
[INFO ] : SWUPDATE running :  [endupdate] : SWUpdate was successful !
[ERROR] : SWUPDATE failed [0] ERROR : SW not compatible with hardware
[ERROR] : SWUPDATE failed [1] Image invalid or corrupted. Not installing ...
`;

describe('SWUpdate output', () => {
  it('reads success only from the status line, with no error line', () => {
    expect(parseSwupdateOutput(SWUPDATE_OK)).toEqual({ outcome: 'success', errors: [] });
    expect(parseSwupdateOutput(SWUPDATE_REFUSED)).toEqual({
      outcome: 'failure',
      errors: ['SW not compatible with hardware', 'Image invalid or corrupted. Not installing ...'],
    });
    expect(parseSwupdateOutput('[INFO ] : SWUPDATE started :  Software Update started !\n').outcome).toBe(
      'unknown',
    );
  });

  it('gives each refusal its code', () => {
    expect(swupdateErrorCode(parseSwupdateOutput(SWUPDATE_REFUSED).errors)).toBe('incompatible_hardware');
    expect(swupdateErrorCode(['Checksum WRONG ! Computed 0x4ec2, it should be 0x4eda'])).toBe('bad_target');
    expect(swupdateErrorCode(['Signature verification failed'])).toBe('bad_signature');
  });

  it('moves progress forward by phase, even with lines split across chunks', () => {
    const seen: number[] = [];
    const progress = new SwupdateProgress((p) => seen.push(p));
    for (let i = 0; i < SWUPDATE_OK.length; i += 7) progress.push(SWUPDATE_OK.slice(i, i + 7));
    expect(seen).toEqual([5, 15, 30, 40, 67, 100]);
  });

  it('quotes every word of the command', () => {
    expect(
      swupdateCommand('swupdate', "/var/tmp/deckhand/a b's.swu", {
        key: '/etc/swu.pem',
        hwRevision: 'board:1.0',
        tmpDir: null,
      }),
    ).toBe("swupdate -v -k /etc/swu.pem -H board:1.0 -i '/var/tmp/deckhand/a b'\\''s.swu' 2>&1");
  });
});

// `mender install` on Debian's 3.4: the ruler, then dots interleaved with log lines on stderr.
const MENDER_INSTALL = `time="2026-11-28T00:06:59Z" level=info msg="No public key was provided for authenticating the artifact"
0%                              50%                              100%
|---------------------------------|---------------------------------|
......................................time="2026-11-28T00:06:59Z" level=warning msg="Returning artifact name from /etc/mender/artifact_info file. This is a fallback."
...............................`;

describe('Mender output', () => {
  it('turns the dots under the ruler into percent, never 100 before Mender is done', () => {
    const seen: number[] = [];
    const progress = new MenderProgress((p) => seen.push(p));
    for (let i = 0; i < MENDER_INSTALL.length; i += 5) progress.push(MENDER_INSTALL.slice(i, i + 5));
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.at(-1)).toBe(99);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('reads error lines and their codes', () => {
    const output = `time="x" level=error msg="Artifact not compatible with device: device type \\"other-board\\" does not match"
time="x" level=info msg="fine"`;
    expect(menderErrors(output)).toEqual([
      'Artifact not compatible with device: device type "other-board" does not match',
    ]);
    expect(menderErrorCode(menderErrors(output))).toBe('incompatible_hardware');
    expect(menderErrorCode(['signature verification failed'])).toBe('bad_signature');
  });

  it('splits NAME-VERSION artifact names', () => {
    expect(releaseOfArtifact('edge-app-2.4.0')).toEqual({ name: 'edge-app', version: '2.4.0' });
    expect(releaseOfArtifact('factory-1.0')).toEqual({ name: 'factory', version: '1.0' });
    expect(releaseOfArtifact('release_v3')).toEqual({ name: 'release', version: '3' });
    expect(releaseOfArtifact('golden')).toEqual({ name: 'golden', version: 'golden' });
  });
});
