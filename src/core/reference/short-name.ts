import { parsePullReference, referenceString, hasRegistryHost } from './reference.js';

/** A short name has no registry host in front (containers/image pkg/shortnames `parseUnnormalizedShortName`). */
export const isShortName = (input: string): boolean => !hasRegistryHost(input);

/**
 * The candidates CRI-O and podman try for a short name, in order: each
 * unqualified-search registry with the name appended, normalized (spec §2,
 * vector V157). Each candidate is then resolved on its own.
 */
export function expandShortName(input: string, searchRegistries: readonly string[]): string[] {
  return searchRegistries.map((registry) => referenceString(parsePullReference(`${registry}/${input}`)));
}
