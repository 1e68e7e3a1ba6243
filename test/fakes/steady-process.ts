// A blob mirror in a process of its own, streaming `step` bytes every
// `everyMs`: it keeps sending while a test blocks the test process's event
// loop (an in-process fake would stop with it), so the bytes pile up in the
// socket as they would behind a proxy whose loop was blocked. The content is
// generated from its size (`steadyContent`), so the test knows its digest.
// Everything but a blob GET is a 404.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const SCRIPT = `
import { createServer } from 'node:http';
const [size, step, every] = process.argv.slice(1).map(Number);
const content = Buffer.alloc(size);
for (let i = 0; i < size; i++) content[i] = (i * 7 + (i >> 10)) & 0xff;
const server = createServer((req, res) => {
  if (req.method !== 'GET' || !/\\/blobs\\/sha256:/.test(req.url ?? '')) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  let offset = 0;
  const timer = setInterval(() => {
    res.write(content.subarray(offset, offset + step));
    offset += step;
    if (offset >= size) { clearInterval(timer); res.end(); }
  }, every);
  res.on('close', () => clearInterval(timer));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export function steadyContent(size: number): Buffer {
  const content = Buffer.alloc(size);
  for (let i = 0; i < size; i++) content[i] = (i * 7 + (i >> 10)) & 0xff;
  return content;
}

export interface SteadyProcess {
  readonly host: string;
  stop(): Promise<void>;
}

export async function steadyProcess(size: number, step: number, everyMs: number): Promise<SteadyProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, String(size), String(step), String(everyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([once(child.stdout as NodeJS.ReadableStream, 'data'), once(child, 'exit').then(() => ['exited'])])) as [Buffer | string];
  const port = Number(String(line).trim());
  if (!Number.isInteger(port) || port <= 0) {
    child.kill('SIGKILL');
    throw new Error(`the steady mirror did not start: ${String(line)}`);
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
