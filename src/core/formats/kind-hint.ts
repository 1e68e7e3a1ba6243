// "Did you mean" for kinds: a kind in a group mirrorgate reads that is a
// near miss of one it knows is a typo, not an object to ignore.

/** Levenshtein distance, stopping early once it exceeds `max` (returns max + 1). */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The known kind `kind` is probably a misspelling of, if any: the same
 * letters in another case, or a few edits away (one for short kinds, so
 * that real kinds of the same group such as `Proxy` or `Node` stay apart).
 */
export function nearestKind(kind: string, known: readonly string[]): string | undefined {
  const lower = kind.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  const max = kind.length >= 10 ? 3 : 1;
  let best: { kind: string; distance: number } | undefined;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase(), max);
    if (d <= max && (best === undefined || d < best.distance)) best = { kind: k, distance: d };
  }
  return best?.kind;
}
