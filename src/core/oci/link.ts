// The `Link: <…>; rel="next"` header of a paginated tag list
// (distribution-spec "Listing Tags"; RFC 8288), as an upstream sends it.

export interface NextPage {
  readonly last: string;
  readonly n?: string;
}

const NEXT_LINK = /<([^>]*)>\s*;\s*rel="?next"?/;

/** The `last`/`n` of the next page, or undefined when there is none or the link is unreadable. */
export function parseNextLink(link: string | undefined): NextPage | undefined {
  const m = link === undefined ? null : NEXT_LINK.exec(link);
  if (!m?.[1]) return undefined;
  let query: URLSearchParams;
  try {
    query = new URL(m[1], 'http://upstream').searchParams;
  } catch {
    // An unparsable link is no next page, not a failure of the endpoint that sent the tags.
    return undefined;
  }
  const last = query.get('last');
  const n = query.get('n');
  return last === null ? undefined : { last, ...(n === null ? {} : { n }) };
}
