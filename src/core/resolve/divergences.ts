// Where the cluster's code and the API documents disagree for this pull
// (spec §15), said in words. mirrorgate follows the code.
import type { PolicyDecision } from '../rules/policy.js';
import type { RegistryEntry } from '../rules/model.js';
import type { Attempt } from './plan.js';

const kindsOf = (entry: RegistryEntry): Set<string> => new Set((entry.neverContactSource ?? []).map((o) => (o.object ?? '').split('/')[0] ?? ''));

export function divergences(entry: RegistryEntry | undefined, digested: boolean, attempts: readonly Attempt[], policy: PolicyDecision): string[] {
  const notes: string[] = [];
  const source = attempts[attempts.length - 1];
  if (entry && source?.blocked !== undefined && (entry.neverContactSource?.length ?? 0) > 0) {
    const kinds = kindsOf(entry);
    const setByOtherKind = digested ? !kinds.has('ImageDigestMirrorSet') : !kinds.has('ImageTagMirrorSet');
    if (setByOtherKind) {
      notes.push(
        `NeverContactSource was set by ${[...kinds].join(' and ')} but also refuses this ${digested ? 'digest' : 'tag'} pull: ` +
          'the cluster writes it as blocked = true on the one registries.conf entry that digest and tag pulls share. ' +
          'The API documents describe it only as the fallback rule of its own kind; mirrorgate follows the cluster.',
      );
    }
  }
  const mirrorsThatWouldServe = attempts.filter((a) => a.role === 'mirror' && a.blocked === undefined);
  if (!policy.accept && mirrorsThatWouldServe.length > 0) {
    notes.push(
      `the cluster checks the name you pull against policy.json, so the mirrors (${mirrorsThatWouldServe.map((a) => a.reference).join(', ')}) ` +
        'cannot serve it either, although registries.conf alone would let them; mirrorgate follows the cluster.',
    );
  }
  return notes;
}
