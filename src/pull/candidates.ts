// A resolved plan -> the endpoints a request walks, in order.
import type { Plan } from '../core/resolve/plan.js';
import { referenceName } from '../core/reference/index.js';
import type { Target } from '../upstream/client.js';
import type { Candidate } from './context.js';

export function planCandidates(plan: Plan): Candidate[] {
  return plan.endpoints.map((e) => ({
    target: { domain: e.ref.domain, repository: e.ref.path, insecure: e.insecure, ...(e.ca ? { ca: e.ca.pem } : {}) },
    role: e.role,
    reference: e.ref.digest ?? e.ref.tag ?? 'latest',
    label: e.reference,
  }));
}

/**
 * Digest requests try first the endpoint that served the repository's last
 * manifest: after a tag came from a tag-only mirror, its children and blobs
 * may exist nowhere else. The bytes are verified, so this is safe.
 */
export function withAffinity(candidates: readonly Candidate[], affinity: Target | undefined, digest: string): Candidate[] {
  if (!affinity) return [...candidates];
  const same = (c: Candidate) => c.target.domain === affinity.domain && c.target.repository === affinity.repository;
  const first: Candidate = { target: affinity, role: 'affinity', reference: digest, label: `${referenceName({ domain: affinity.domain, path: affinity.repository })}@${digest}` };
  return [first, ...candidates.filter((c) => !same(c))];
}
