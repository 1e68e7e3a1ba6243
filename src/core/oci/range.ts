// Range request headers as clients send them for blobs (RFC 9110 §14;
// containerd and containers/image usage in oci-wire.md §1.5).

export type RangeSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'single'; readonly start: number; readonly end?: number }
  | { readonly kind: 'suffix'; readonly length: number }
  | { readonly kind: 'multi'; readonly count: number }
  /** A first position no blob reaches (past 2^53 - 1): 416 whatever the size, answered without asking upstream. */
  | { readonly kind: 'unsatisfiable' }
  /** Syntactically not a bytes range: RFC 9110 says to ignore the header. */
  | { readonly kind: 'ignored' };

/**
 * The largest position a RangeSpec carries. Digits are hostile input of any
 * length; past this they saturate here, so positions stay safe integers and
 * print back as digits, never as `1e+23`. No blob is that large, so by RFC
 * 9110 §14.1.2 a saturated last position (at or past the end: the remainder)
 * or suffix length (longer than the blob: all of it) means what the client
 * wrote, and a first position that large cannot be satisfied.
 */
const MAX_POSITION = Number.MAX_SAFE_INTEGER;

export function parseRange(header: string | undefined): RangeSpec {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m?.[1]) return { kind: 'ignored' };
  const parts = m[1].split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return { kind: 'ignored' };
  const specs = parts.map(parsePart);
  if (specs.some((s) => s === undefined)) return { kind: 'ignored' };
  if (specs.length > 1) return { kind: 'multi', count: specs.length };
  return specs[0] as RangeSpec;
}

function parsePart(part: string): RangeSpec | undefined {
  const m = /^(\d*)-(\d*)$/.exec(part);
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') return { kind: 'suffix', length: position(last) };
  // last < first makes the header syntactically invalid: ignored (RFC 9110 §14.1.1), never forwarded.
  // Compared as written: saturated positions would make two different large numbers equal.
  if (last !== '' && digitsBelow(last, first)) return undefined;
  const start = position(first);
  if (start === MAX_POSITION) return { kind: 'unsatisfiable' };
  return last === '' ? { kind: 'single', start } : { kind: 'single', start, end: position(last) };
}

/** Rounding is monotone, so anything past MAX_POSITION converts to more than it and saturates. */
const position = (digits: string): number => Math.min(Number(digits), MAX_POSITION);

/** Whether decimal `a` < decimal `b`, at any length. */
function digitsBelow(a: string, b: string): boolean {
  const [x, y] = [a.replace(/^0+/, ''), b.replace(/^0+/, '')];
  return x.length !== y.length ? x.length < y.length : x < y;
}

export interface ByteSpan {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/** The bytes a single or suffix range selects from a blob of `size`, or undefined when unsatisfiable (416). */
export function resolveRange(spec: RangeSpec, size: number): ByteSpan | undefined {
  if (spec.kind === 'suffix') {
    if (spec.length === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - spec.length), end: size - 1 };
  }
  if (spec.kind === 'unsatisfiable') return undefined;
  if (spec.kind !== 'single') return { start: 0, end: size - 1 };
  if (spec.start >= size || (spec.end !== undefined && spec.end < spec.start)) return undefined;
  return { start: spec.start, end: Math.min(spec.end ?? size - 1, size - 1) };
}

export const contentRange = (span: ByteSpan, size: number): string => `bytes ${span.start}-${span.end}/${size}`;

/** `Content-Range: bytes a-b/size` or `bytes a-b/*` from an upstream 206. */
export function parseContentRange(header: string | undefined): { start: number; end: number; size?: number } | undefined {
  const m = header === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const size = m[3] === '*' ? undefined : Number(m[3]);
  // An upstream's numbers beyond 2^53 cannot be compared exactly: such an answer says nothing usable.
  if (![start, end, size ?? 0].every(Number.isSafeInteger)) return undefined;
  return { start, end, ...(size === undefined ? {} : { size }) };
}
