// publint on the packed tarball itself (what npm would publish), every level down to suggestions, strict.
// Prints `publint: clean`, or each message and exits 1.
import { readFileSync } from 'node:fs';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const bytes = readFileSync(process.argv[2]);
const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const { messages, pkg } = await publint({ pack: { tarball }, level: 'suggestion', strict: true });
if (messages.length === 0) {
  console.log('publint: clean');
} else {
  for (const m of messages) console.log(`${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
  process.exitCode = 1;
}
