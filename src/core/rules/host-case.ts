// Pulls reach the rules with their registry host in lower case (host names
// are case-insensitive, RFC 4343; core/oci/route.ts says why), while the rules
// match prefixes byte by byte as containers/image does. A source scope whose
// host has upper case therefore matches no pull: a block or NeverContactSource
// written so would protect nothing, and an allowed registry so written would
// refuse its own pulls. Said at load, not left to be found in production.
// The same holds for a host the connection writes another way (127.1,
// quay.io:443: ../reference/host-form.ts): the route refuses pulls so spelled.
// A search registry so spelled is contacted under the other name while the
// rules judge its pulls under this one: warned about too.
import { respelledHost } from '../reference/host-form.js';
import type { DiagnosticSink } from './diagnostics.js';
import { type Policy, type RegistryEntry, entryScope } from './model.js';
import { hostOf } from './scope.js';

export function warnHostSpellings(registries: readonly RegistryEntry[], policy: Policy | undefined, searchRegistries: readonly string[], sink: DiagnosticSink): void {
  const scopes = new Set([...registries.map(entryScope), ...(policy?.scopes.keys() ?? [])]);
  for (const scope of scopes) {
    const host = hostOf(scope);
    const respelled = respelledHost(host.toLowerCase());
    if (respelled !== undefined) sink.warn('', `${JSON.stringify(scope)}: its host ${respelled}, and mirrorgate refuses pulls of a host so spelled, so as a source scope it matches no pull; write the host in that form`);
    if (host === host.toLowerCase()) continue;
    sink.warn('', `${JSON.stringify(scope)} has upper case in its host: mirrorgate compares pulls with the host in lower case, so as a source scope it matches no pull; write it as ${JSON.stringify(host.toLowerCase() + scope.slice(host.length))}`);
  }
  for (const search of searchRegistries) {
    const respelled = respelledHost(search.toLowerCase());
    if (respelled !== undefined) sink.warn('', `unqualified-search-registries entry ${JSON.stringify(search)} ${respelled}: the rules would judge its pulls under a name other than the one contacted; write it in that form`);
  }
}
