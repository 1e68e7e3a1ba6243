// An auth file re-read that fails for a reason that is not the file's (EMFILE
// when a connection burst holds every descriptor during a password change,
// EIO, ENOMEM) is read again on the next use; a parse error is not re-parsed
// until the file moves. Before the fix, the failed identity was never read
// again: every user 401 and /readyz 503 until the next edit (red-team finding).
// The descriptor shortage is given by the file-system seam: reaching the real
// limit takes a process under prlimit and a race with the server's accepts.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretFileError, WatchedFile, type FileIo } from '../../../src/server/auth/watched-file.js';
import { tempDir } from '../../helpers/temp.js';

/** The real file system, whose reads fail with `failing` while it is set; counts the reads made. */
function flakyIo() {
  const io = { failing: undefined as string | undefined, reads: 0 };
  const fs: FileIo = {
    stat,
    readFile: async (file, encoding) => {
      io.reads++;
      if (io.failing !== undefined) throw Object.assign(new Error(`${io.failing}: cannot open ${file}`), { code: io.failing });
      return readFile(file, encoding);
    },
  };
  return { io, fs };
}

/** A parse that refuses a file holding `bad`, and otherwise keeps the text. */
const parse = (text: string, file: string): string => {
  if (text.includes('bad')) throw new SecretFileError(file, ['line 1: bad']);
  return text;
};

async function watched() {
  const file = join(tempDir('watched-file'), 'htpasswd');
  await writeFile(file, 'v1');
  const events = { problems: 0, recovered: 0 };
  const { io, fs } = flakyIo();
  const w = await WatchedFile.open(file, parse, { onProblem: () => events.problems++, onRecovered: () => events.recovered++ }, fs);
  return { file, w, io, events };
}

describe('a watched auth file', () => {
  it.each(['EMFILE', 'ENFILE', 'EIO', 'ENOMEM'])('a change read during %s loads once reads succeed again, reported once each way', async (code) => {
    const { file, w, io, events } = await watched();
    await writeFile(file, 'v2, longer');
    io.failing = code;
    const during = [await w.current(), await w.current(), await w.problems()];
    io.failing = undefined;
    expect({ during, after: await w.current(), problems: await w.problems(), events }).toEqual({
      during: [undefined, undefined, [`cannot read: ${code}`]],
      after: 'v2, longer',
      problems: undefined,
      events: { problems: 1, recovered: 1 },
    });
  });

  it('a parse error is read once per change of the file, not on every use', async () => {
    const { file, w, io, events } = await watched();
    const before = io.reads;
    await writeFile(file, 'bad line');
    const during = [await w.current(), await w.current(), await w.current()];
    await writeFile(file, 'v3, fixed');
    expect({ during, after: await w.current(), reads: io.reads - before, events }).toEqual({ during: [undefined, undefined, undefined], after: 'v3, fixed', reads: 2, events: { problems: 1, recovered: 1 } });
  });
});
