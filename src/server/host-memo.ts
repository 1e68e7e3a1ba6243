// The registry spellings parseRoute found canonical, for this listener's
// requests (core/oci/route.ts KnownHosts): saves two URL parses a request
// (issue 11). Spellings are client-chosen (`ns`, the first path component),
// so what is kept is bounded in count and in length: no spelling longer than
// a host can be is kept, so the memo holds at most MAX_HOSTS x MAX_HOST_CHARS
// characters (about 260 KB), not 1024 spellings of 16 KB each (red team).
// Spellings are substrings of the request target, so each is kept as a flat
// copy (./flat-copy.ts): a slice would keep its whole target alive (red team).
import type { KnownHosts } from '../core/oci/route.js';
import { flatCopy } from './flat-copy.js';

const MAX_HOSTS = 1024;

/** A DNS name's most (RFC 1035 §2.3.4, 253 in text) and a port (`:65535`). */
export const MAX_HOST_CHARS = 253 + ':65535'.length;

export class HostMemo implements KnownHosts {
  private readonly hosts = new Map<string, string>();

  get(spelling: string): string | undefined {
    return this.hosts.get(spelling);
  }

  remember(spelling: string, host: string): void {
    if (spelling.length > MAX_HOST_CHARS || host.length > MAX_HOST_CHARS) return;
    const key = flatCopy(spelling);
    const value = flatCopy(host);
    if (key === undefined || value === undefined) return;
    if (this.hosts.size >= MAX_HOSTS) this.hosts.clear();
    this.hosts.set(key, value);
  }

  get size(): number {
    return this.hosts.size;
  }
}
