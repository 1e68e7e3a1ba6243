// A hostile Kubernetes API server (HTTPS on 127.0.0.1:0, a throw-away CA) for the follower: every list is
// answered empty at resourceVersion 1, and every watch as `watch` says. Counts requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listenOnLoopback } from '../../src/bench/loopback.js';
import { makePki } from '../helpers/tls.js';

export interface HostileKube {
  readonly kubeconfig: string;
  readonly lists: () => number;
  readonly watches: () => number;
  close(): Promise<void>;
}

export async function hostileKube(watch: (path: string, res: ServerResponse) => void, list?: (path: string, res: ServerResponse) => void): Promise<HostileKube> {
  let lists = 0;
  let watches = 0;
  const pki = makePki();
  const server = createServer({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') === 'true') {
      watches++;
      return watch(url.pathname, res);
    }
    lists++;
    if (list) return list(url.pathname, res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: [] }));
  });
  const listening = await listenOnLoopback(server);
  const kubeconfig = join(pki.dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: h, cluster: {server: "https://${listening.host}", certificate-authority: "${join(pki.dir, 'ca.crt')}"}}]\n` +
      `users: [{name: u, user: {token: hostile-token}}]\ncontexts: [{name: h, context: {cluster: h, user: u}}]\ncurrent-context: h\n`,
  );
  return {
    kubeconfig,
    lists: () => lists,
    watches: () => watches,
    close: listening.stop,
  };
}

/** Polls `cond` every 20 ms, at most `ms` long. */
export async function until(cond: () => boolean, ms: number): Promise<void> {
  for (let i = 0; i < ms / 20 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
