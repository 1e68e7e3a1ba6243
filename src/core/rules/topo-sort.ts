/**
 * Deterministic topological order of the mirrors of one source, as
 * runtime-utils pkg/registries/topo.go `topoGraph.Sorted` computes it:
 * Kahn's algorithm with a FIFO queue fed in byte order, and a cycle broken at
 * the byte-wise smallest unused node. The result depends only on the set of
 * edges (spec §11), so several objects merge the same way in any order.
 */
export class TopoGraph {
  private readonly outs = new Map<string, Set<string>>();
  private readonly ins = new Map<string, Set<string>>();

  addEdge(from: string, to: string): void {
    this.node(from).add(to);
    this.node(to);
    this.inSet(to).add(from);
  }

  /** The order, and whether a cycle (conflicting lists) had to be broken. */
  sorted(): { order: string[]; cycleBroken: boolean } {
    const nodes = [...this.outs.keys()].sort(byteOrder);
    const pending = new Map(nodes.map((n) => [n, new Set(this.inSet(n))]));
    const used = new Set<string>();
    const queue = nodes.filter((n) => pending.get(n)?.size === 0);
    const result: string[] = [];
    let nextUnused = 0;
    let cycleBroken = false;
    while (queue.length > 0 || nextUnused < nodes.length) {
      const fromQueue = queue.length > 0;
      const node = fromQueue ? queue.shift() : nodes[nextUnused++];
      if (node === undefined || used.has(node)) continue;
      if (!fromQueue) cycleBroken = true;
      used.add(node);
      result.push(node);
      const batch: string[] = [];
      for (const out of this.node(node)) {
        const outIns = pending.get(out);
        outIns?.delete(node);
        if (outIns?.size === 0 && !used.has(out)) batch.push(out);
      }
      queue.push(...batch.sort(byteOrder));
    }
    return { order: result, cycleBroken };
  }

  private node(name: string): Set<string> {
    return setIn(this.outs, name);
  }

  private inSet(name: string): Set<string> {
    return setIn(this.ins, name);
  }
}

function setIn(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

/** Go's string `<`: UTF-16 code unit order equals byte order for the ASCII these scopes are made of. */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
