// The content store: everything mirrorgate serves by content (manifests and
// blobs) goes through here, and so through one policy check: cached content
// is served only to a request whose plan, under the rules in force now,
// allows at least one endpoint. A reload that blocks a registry therefore
// blocks its cached content too. Content verified against its digest is
// shared across plans (the bytes are what was asked); anything else (a tag's
// digest, a "not found", a shared walk, a stale answer) only within the plan
// that produced it: its walk over the endpoints in force now (store/scope.ts).
import { OciError } from '../core/oci/errors.js';
import type { Plan } from '../core/resolve/plan.js';
import type { AttemptRecord } from '../pull/attempts.js';
import type { Candidate } from '../pull/context.js';
import type { BlobRequest, BlobResult, BlobStore } from './blobs.js';
import type { ManifestAnswer, ManifestAsk, ManifestStore } from './manifests.js';
import type { BlobOutput } from './output.js';
import { planWalkKey } from './scope.js';

export class ContentStore {
  constructor(
    private readonly manifests: ManifestStore,
    private readonly blobs: BlobStore,
  ) {}

  manifest(plan: Plan, ask: ManifestAsk): Promise<ManifestAnswer> {
    admit(plan);
    return this.manifests.get(ask, planWalkKey(plan));
  }

  blob(plan: Plan, candidates: readonly Candidate[], req: BlobRequest, out: BlobOutput, records: AttemptRecord[], signal: AbortSignal): Promise<BlobResult> {
    admit(plan);
    return this.blobs.serve(candidates, req, out, records, signal);
  }
}

/** The policy check, before any lookup: DENIED when the plan allows no endpoint. */
function admit(plan: Plan): void {
  if (plan.denied !== undefined || plan.endpoints.length === 0) throw new OciError('DENIED', plan.denied ?? `no endpoint may be contacted for ${plan.image} under the rules in force`);
}
