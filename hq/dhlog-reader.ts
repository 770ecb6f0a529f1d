/** Reads a `.dhlog` file as a stream of parsed lines, so files of any size use flat memory. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseDhlogLine, type DhlogLine } from '../core/sync/dhlog';
import { DeckhandError } from '../core/result';

/** Yields each line of the file; a malformed line is an `invalid_input` error naming its number. */
export async function* readDhlog(file: string): AsyncGenerator<DhlogLine> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line === '') continue;
    const parsed = parseDhlogLine(line, number === 1);
    if (parsed === null)
      throw new DeckhandError(
        'invalid_input',
        `${file} is not a Deckhand log file (line ${number} is unreadable).`,
        {
          line: number,
        },
      );
    yield parsed;
  }
  if (number === 0) throw new DeckhandError('invalid_input', `${file} is empty.`);
}
