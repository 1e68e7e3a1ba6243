// HTML text helpers for the status page. Everything shown there that came
// from outside (image names, paths, user agents, rule names, upstream
// messages) is hostile input and goes through `esc`.
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const formatMs = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** HH:MM:SS in UTC: the page is read next to logs, which are in UTC. */
export const clockTime = (wallMs: number): string => new Date(wallMs).toISOString().slice(11, 19);

export const percent = (rate: number | undefined): string => (rate === undefined ? '–' : `${Math.round(rate * 100)}%`);
