// Several objects for one source merge into one ordered list
// (openshift/runtime-utils pkg/registries/registries.go `addMirrorSet`,
// `mergedMirrors`, `mergedMirrorSets`; spec §11).
import { type Origin, originLabel } from './model.js';
import { TopoGraph, byteOrder } from './topo-sort.js';

export interface MirrorList {
  readonly source: string;
  readonly mirrors: readonly string[];
  readonly neverContactSource: boolean;
  readonly origin: Origin;
}

export interface MergedMirrorSet {
  readonly source: string;
  readonly mirrors: readonly { location: string; origins: Origin[] }[];
  /** Origins of the lists that asked for NeverContactSource; empty when none did. */
  readonly neverContactSource: readonly Origin[];
  /** Where the cluster's merge departs from what the API documents say, in words. */
  readonly notes: readonly string[];
}

/**
 * Merges lists per exact source string, sorted by source. A list with no
 * mirror other than the source itself is ignored, its policy too. Relative
 * order is kept where lists agree; conflicts and unrelated lists are ordered
 * by the deterministic topological sort.
 */
export function mergeMirrorLists(lists: readonly MirrorList[]): MergedMirrorSet[] {
  const bySource = new Map<string, MirrorList[]>();
  for (const list of lists) {
    if (!list.mirrors.some((m) => m !== list.source)) continue;
    bySource.set(list.source, [...(bySource.get(list.source) ?? []), list]);
  }
  return [...bySource.keys()].sort(byteOrder).map((source) => mergeOne(source, bySource.get(source) ?? []));
}

function mergeOne(source: string, lists: readonly MirrorList[]): MergedMirrorSet {
  const graph = new TopoGraph();
  const origins = new Map<string, Origin[]>();
  for (const list of lists) {
    list.mirrors.forEach((m, i) => {
      const next = list.mirrors[i + 1];
      if (next !== undefined) graph.addEdge(m, next);
      origins.set(m, [...(origins.get(m) ?? []), list.origin]);
    });
    const last = list.mirrors[list.mirrors.length - 1];
    if (last !== undefined && !list.mirrors.includes(source)) graph.addEdge(last, source);
  }
  const { order, cycleBroken } = graph.sorted();
  // The source is tried last anyway; it stays a mirror only where it is not last.
  if (order[order.length - 1] === source) order.pop();
  const notes: string[] = [];
  if (cycleBroken) {
    notes.push(`the mirror orders of ${labels(lists)} conflict; the API documents call the result unspecified, the cluster breaks the cycle at the byte-wise smallest mirror, and so does mirrorgate`);
  }
  if (order.includes(source)) {
    notes.push(`${JSON.stringify(source)} is listed among its own mirrors, so it is contacted at that position and again as the source, as on the cluster`);
  }
  return {
    source,
    mirrors: order.map((location) => ({ location, origins: dedupe(origins.get(location) ?? []) })),
    neverContactSource: lists.filter((l) => l.neverContactSource).map((l) => l.origin),
    notes,
  };
}

const labels = (lists: readonly MirrorList[]): string => [...new Set(lists.map((l) => originLabel(l.origin)))].join(', ');

const dedupe = (origins: Origin[]): Origin[] =>
  origins.filter((o, i) => origins.findIndex((p) => p.file === o.file && p.object === o.object) === i);
