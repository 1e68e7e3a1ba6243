// containers/image pulls what a manifest references from the endpoint that
// served the manifest. For a digest request, that endpoint goes first, but
// only while the rules in force still name it: it must be an endpoint of the
// digest's own plan, or of the plan of the reference that served the
// manifest (a tag pulled through a tag-only mirror), resolved now. A reload
// that removes a mirror, blocks a registry or sets NeverContactSource takes
// effect on the next request (issue 8). Digests no served manifest
// references are never reordered.
import type { Candidate } from '../pull/context.js';
import { planFor } from './plan-for.js';
import type { RequestContext } from './request-context.js';

export function withAffinity(ctx: RequestContext, candidates: readonly Candidate[], repository: string, digest: string): Candidate[] {
  const affine = ctx.deps.pull.affinity.recall(repository, digest);
  if (!affine) return [...candidates];
  const same = (c: Candidate) => c.target.domain === affine.target.domain && c.target.repository === affine.target.repository;
  const inPlan = candidates.find(same);
  if (inPlan) return [inPlan, ...candidates.filter((c) => c !== inPlan)];
  let origin: Candidate | undefined;
  try {
    origin = planFor(ctx, affine.via, { quiet: true }).candidates.find(same);
  } catch {
    return [...candidates];
  }
  if (!origin) return [...candidates];
  const label = `${origin.label.replace(/[:@][^/]*$/, '')}@${digest}`;
  return [{ ...origin, reference: digest, label }, ...candidates];
}
