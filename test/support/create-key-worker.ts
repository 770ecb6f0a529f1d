/** Child process for the key-creation race test: creates (or finds) the key and prints its id. */
import { createPassphraseProtector, TechnicianKey } from '../../main/services/technician-key';

const dir = process.argv[2];
if (!dir) throw new Error('usage: create-key-worker DATA_DIR');
process.stdout.write(`${new TechnicianKey(dir, createPassphraseProtector('s3cret')).ensure().keyId}\n`);
