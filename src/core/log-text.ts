// What keeps a log line one line for every reader: C0 and C1 controls, DEL,
// and the Unicode line and paragraph separators. Unicode-aware splitters
// (Python's str.splitlines, what many log pipelines are written with) break
// lines at NEL (U+0085), U+2028 and U+2029 too; JSON.stringify escapes C0
// controls only, and a client's header may carry any obs-text byte, which
// Node reads as latin1 (0x85 is NEL).
const BREAKER = '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]';
const ONE = new RegExp(BREAKER, 'g');
const RUNS = new RegExp(`${BREAKER}+`, 'g');

/** JSON text with every line breaker left in it as a \u escape: the same JSON value, on one line for any reader. */
export function escapeLineBreakers(json: string): string {
  return json.replace(ONE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Free text with every run of line breakers as one space. */
export function flattenLineBreakers(text: string): string {
  return text.replace(RUNS, ' ');
}
