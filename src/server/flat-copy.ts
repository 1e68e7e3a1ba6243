// A string that holds only its own characters. V8 makes a substring (a URL's
// pathname, a path component, a query value) a view into its parent string,
// so keeping the substring keeps the whole request target alive, up to
// Node's 16 KiB header limit, whatever the substring's length (red team:
// 1000 memo entries held ~16 MB against their ~2 MB bound). The memos of this
// folder keep only such copies, so what they hold is what their bounds count.

/**
 * A fresh copy of `text` made through its UTF-8 bytes, or undefined when the
 * round trip would change it (a lone surrogate): then the caller keeps nothing.
 */
export function flatCopy(text: string): string | undefined {
  const copy = Buffer.from(text, 'utf8').toString('utf8');
  return copy === text ? copy : undefined;
}
