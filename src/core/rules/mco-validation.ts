// Cross-object checks the machine-config operator makes before it renders
// registries.conf (MCO pkg/controller/container-runtime-config/helpers.go
// `validateRegistriesConfScopes`; spec §9). The messages are MCO's own.
import type { MirrorSetEntry, MirrorSetObject } from '../formats/objects.js';
import type { DiagnosticSink } from './diagnostics.js';

/**
 * IDMS, ICSP (and mirrorgate's ICP), then ITMS share one policy namespace per
 * exact source string: the first policy seen wins and any other is a conflict,
 * even on an entry without mirrors (vector V156).
 */
export function checkMirrorSourcePolicies(ordered: readonly MirrorSetObject[], sink: DiagnosticSink): void {
  const seen = new Map<string, string>();
  for (const set of ordered) {
    for (const entry of set.entries) {
      const policy = entry.policy ?? 'AllowContactingSource';
      const first = seen.get(entry.source);
      if (first === undefined) seen.set(entry.source, policy);
      else if (first !== policy) {
        sink.withOrigin(entry.origin).error(
          `${entry.path}.mirrorSourcePolicy`,
          `conflicting mirrorSourcePolicy is set for the same source ${JSON.stringify(entry.source)} in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies`,
        );
      }
      checkNeverNotSelf(entry, sink);
    }
  }
}

function checkNeverNotSelf(entry: MirrorSetEntry, sink: DiagnosticSink): void {
  if (entry.policy !== 'NeverContactSource') return;
  const i = entry.mirrors.indexOf(entry.source);
  if (i === -1) return;
  sink.withOrigin(entry.origin).error(
    `${entry.path}.mirrors[${i}]`,
    `cannot set mirrorSourcePolicy: NeverContactSource if the source ${JSON.stringify(entry.source)} is one of the mirrors`,
  );
}
