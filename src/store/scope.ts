// What decides an answer that is not verified against a digest (a tag's
// digest, a "not found", an upstream walk in flight): the endpoints walked,
// in order, with how they are reached. Such answers are cached and shared
// under this key, never under the name the client used: an unqualified name
// walks the search registries and must not answer for the qualified one
// (short-name squatting), and a reload that removes, blocks or re-trusts an
// endpoint changes the key, so nothing learnt under the old rules answers
// under the new ones.
import { createHash } from 'node:crypto';
import type { Candidate } from '../pull/context.js';

/** One endpoint as it is contacted: scheme, repository, reference, and the CA trusted for it. */
export function endpointKey(c: Candidate): string {
  const { target } = c;
  const ca = target.ca === undefined ? '' : `#ca:${createHash('sha256').update(target.ca).digest('hex').slice(0, 16)}`;
  return `${target.insecure ? 'http' : 'https'}://${target.domain}/${target.repository}|${c.reference}${ca}`;
}

/** The identity of a walk over `candidates`, in order. */
export const walkKey = (candidates: readonly Candidate[]): string => candidates.map(endpointKey).join(' ');
