// A resolved plan -> the endpoints a request walks, in order.
import type { Plan } from '../core/resolve/plan.js';
import type { Candidate } from './context.js';

export function planCandidates(plan: Plan): Candidate[] {
  return plan.endpoints.map((e) => ({
    target: { domain: e.ref.domain, repository: e.ref.path, insecure: e.insecure, ...(e.ca ? { ca: e.ca.pem } : {}) },
    role: e.role,
    reference: e.ref.digest ?? e.ref.tag ?? 'latest',
    label: e.reference,
  }));
}
