// CPU time and peak resident memory of another process, sampled from /proc
// (Linux). Ticks are counted at the usual 100 per second (CLK_TCK).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export interface ProcUsage {
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

/** Starts sampling `pid`; the returned function stops and reports. */
export function sampleProcess(pid: number, everyMs = 50): () => ProcUsage {
  const startTicks = cpuTicks(pid);
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      clearInterval(timer);
    }
  }, everyMs);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, rssBytes(pid));
    return { cpuSeconds: (cpuTicks(pid) - startTicks) / TICKS_PER_SECOND, peakRssMiB: peak / (1024 * 1024) };
  };
}

/**
 * Resolves once `pid` spent at most one tick of CPU over `everyMs` (it is
 * done with what came before, such as the fsync of a blob it just cached),
 * or after `polls` looks.
 */
export async function untilIdle(pid: number, everyMs = 200, polls = 50): Promise<void> {
  let before = cpuTicks(pid);
  for (let i = 0; i < polls; i++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = cpuTicks(pid);
    if (now - before <= 1) return;
    before = now;
  }
}
