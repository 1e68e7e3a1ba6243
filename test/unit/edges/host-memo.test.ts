// The listener's memo of canonical registry spellings (server/host-memo.ts)
// against client-chosen spellings: bounded in count and in length (red team:
// 1023 spellings of ~16 KB each were kept, 15.9 MiB of heap).
import { describe, expect, it } from 'vitest';
import { HostMemo, MAX_HOST_CHARS } from '../../../src/server/host-memo.js';

describe('HostMemo', () => {
  it('keeps a spelling as long as a host with its port can be, and none longer', () => {
    const memo = new HostMemo();
    const longest = `${'a'.repeat(MAX_HOST_CHARS - 6)}:65535`;
    memo.remember(longest, longest);
    memo.remember(`${'b'.repeat(16_000)}.example`, 'x');
    expect(memo.get(longest)).toBe(longest);
    expect(memo.size).toBe(1);
  });

  it('holds at most 1024 spellings however many it is told', () => {
    const memo = new HostMemo();
    for (let i = 0; i < 5000; i++) memo.remember(`h${i}.example`, `h${i}.example`);
    expect(memo.size).toBeLessThanOrEqual(1024);
    expect(memo.get('h4999.example')).toBe('h4999.example');
  });
});
