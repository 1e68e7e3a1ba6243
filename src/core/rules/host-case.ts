// Pulls reach the rules with their registry host in lower case (host names
// are case-insensitive, RFC 4343; core/oci/route.ts says why), while the rules
// match prefixes byte by byte as containers/image does. A source scope whose
// host has upper case therefore matches no pull: a block or NeverContactSource
// written so would protect nothing, and an allowed registry so written would
// refuse its own pulls. Said at load, not left to be found in production.
import type { DiagnosticSink } from './diagnostics.js';
import { type Policy, type RegistryEntry, entryScope } from './model.js';
import { hostOf } from './scope.js';

export function warnUpperCaseHosts(registries: readonly RegistryEntry[], policy: Policy | undefined, sink: DiagnosticSink): void {
  const scopes = new Set([...registries.map(entryScope), ...(policy?.scopes.keys() ?? [])]);
  for (const scope of scopes) {
    const host = hostOf(scope);
    if (host === host.toLowerCase()) continue;
    sink.warn('', `${JSON.stringify(scope)} has upper case in its host: mirrorgate compares pulls with the host in lower case, so as a source scope it matches no pull; write it as ${JSON.stringify(host.toLowerCase() + scope.slice(host.length))}`);
  }
}
