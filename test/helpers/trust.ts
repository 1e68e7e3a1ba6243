// Shared pieces of the trust tests: a cleanup list, a credentials file in a
// temp dir that is removed afterwards, and the error envelope of a response.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export interface Cleanup {
  /** Runs `f` after the test, in reverse order of registration. */
  later(f: () => Promise<void> | void): void;
  /** Awaits a server and stops it after the test. */
  serve<T extends { stop(): Promise<void> }>(server: Promise<T>): Promise<T>;
}

export function useCleanup(): Cleanup {
  const tasks: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of tasks.splice(0).reverse()) await f();
  });
  const later = (f: () => Promise<void> | void) => void tasks.push(f);
  return {
    later,
    serve: async (server) => {
      const s = await server;
      later(() => s.stop());
      return s;
    },
  };
}

/** An auth.json giving `username:password` for each key (host or host/namespace). */
export function credentialsFile(later: (f: () => void) => void, entries: Record<string, { username: string; password: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorgate-creds-'));
  later(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'auth.json');
  writeFileSync(file, JSON.stringify({ auths: entries }));
  return file;
}

export interface ErrorDetail {
  readonly endpoint: string;
  readonly outcome: string;
  readonly status?: number;
  readonly message?: string;
}

export function errorOf(body: Buffer): { code: string; message: string; detail: ErrorDetail[] } {
  const parsed = JSON.parse(body.toString()) as { errors: { code: string; message: string; detail: ErrorDetail[] }[] };
  return parsed.errors[0] as { code: string; message: string; detail: ErrorDetail[] };
}
