// Range request headers as clients send them for blobs (RFC 9110 §14;
// containerd and containers/image usage in oci-wire.md §1.5).

export type RangeSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'single'; readonly start: number; readonly end?: number }
  | { readonly kind: 'suffix'; readonly length: number }
  | { readonly kind: 'multi'; readonly count: number }
  /** Syntactically not a bytes range: RFC 9110 says to ignore the header. */
  | { readonly kind: 'ignored' };

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
  if (first === '') return { kind: 'suffix', length: Number(last) };
  if (last === '') return { kind: 'single', start: Number(first) };
  // last < first makes the header syntactically invalid: ignored (RFC 9110 §14.1.1), never forwarded.
  return Number(last) < Number(first) ? undefined : { kind: 'single', start: Number(first), end: Number(last) };
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
  if (spec.kind !== 'single') return { start: 0, end: size - 1 };
  if (spec.start >= size || (spec.end !== undefined && spec.end < spec.start)) return undefined;
  return { start: spec.start, end: Math.min(spec.end ?? size - 1, size - 1) };
}

export const contentRange = (span: ByteSpan, size: number): string => `bytes ${span.start}-${span.end}/${size}`;

/** `Content-Range: bytes a-b/size` or `bytes a-b/*` from an upstream 206. */
export function parseContentRange(header: string | undefined): { start: number; end: number; size?: number } | undefined {
  const m = header === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), ...(m[3] === '*' ? {} : { size: Number(m[3]) }) };
}
