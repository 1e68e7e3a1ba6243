// The rules in force, and changing them: the documents of every rule source
// are decoded and compiled together, validated whole, then swapped in with one
// assignment. Requests that already resolved their plan finish on the old set;
// new ones see the new set. An invalid change keeps the previous rules (and
// the previous documents of every source) and is reported.
import { DiagnosticSink, InvalidRulesError, compileRules, formatDiagnostic, type RuleDiagnostic } from '../core/index.js';
import type { RuleSet } from '../core/rules/model.js';
import { decodeDocuments, fileSource } from './load-rules.js';
import type { RuleDocument, RuleSource } from './rule-sources.js';

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly generation: number;
  readonly errors: readonly string[];
}

/** A compiled candidate: the rules, or every error found. */
export type Candidate = { readonly ok: true; readonly rules: RuleSet } | { readonly ok: false; readonly errors: readonly RuleDiagnostic[] };

type Snapshot = ReadonlyMap<string, readonly RuleDocument[]>;

/** Compiles the documents of all sources as one rule set; decode errors and read errors on `sink` fail it too. */
function compileSnapshot(sources: readonly RuleSource[], snapshot: Snapshot, sink: DiagnosticSink): Candidate {
  const objects = sources.flatMap((s) => decodeDocuments(snapshot.get(s.name) ?? [], sink).map((o) => ({ source: s.name, o })));
  reportNamesInTwoSources(objects, sink);
  try {
    return { ok: true, rules: compileRules(objects.map((x) => x.o), sink) };
  } catch (err) {
    if (!(err instanceof InvalidRulesError)) throw err;
    return { ok: false, errors: err.diagnostics };
  }
}

/** The same Kind/name from two sources is an error: the objects would be silently merged otherwise. */
function reportNamesInTwoSources(objects: readonly { source: string; o: { origin: { file: string; object?: string } } }[], sink: DiagnosticSink): void {
  const seen = new Map<string, { source: string; file: string }>();
  for (const { source, o } of objects) {
    const key = o.origin.object;
    if (key === undefined || key.includes('(unnamed')) continue;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, { source, file: o.origin.file });
    else if (first.source !== source) sink.withOrigin(o.origin).error('metadata.name', `${key} is also defined by the ${first.source} source (${first.file}); an object may come from one source only`);
  }
}

export class RulesHolder {
  private rules: RuleSet;
  private gen = 1;
  private last: ReloadOutcome;
  private snapshot: Snapshot;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: { names: Set<string>; done: Promise<ReloadOutcome> } | undefined;
  private readonly listeners: ((outcome: ReloadOutcome, rules: RuleSet) => void)[] = [];

  private constructor(
    readonly sources: readonly RuleSource[],
    readonly paths: readonly string[],
    initial: RuleSet,
    snapshot: Snapshot,
  ) {
    this.rules = initial;
    this.snapshot = snapshot;
    this.last = { ok: true, generation: 1, errors: [] };
  }

  /** The first load must succeed: there is nothing to keep yet. `paths` are the configured rule files. */
  static async load(paths: readonly string[], extra: readonly RuleSource[] = []): Promise<RulesHolder> {
    const sources = [fileSource(paths), ...extra];
    const sink = new DiagnosticSink({ file: '(rules)' });
    const snapshot = new Map(await Promise.all(sources.map(async (s) => [s.name, await s.read(sink)] as const)));
    const candidate = compileSnapshot(sources, snapshot, sink);
    if (!candidate.ok) throw new InvalidRulesError(candidate.errors);
    return new RulesHolder(sources, paths, candidate.rules, snapshot);
  }

  current = (): RuleSet => this.rules;
  get generation(): number {
    return this.gen;
  }
  get lastReload(): ReloadOutcome {
    return this.last;
  }

  /** The documents of source `name` in the rules in force. */
  documents(name: string): readonly RuleDocument[] {
    return this.snapshot.get(name) ?? [];
  }

  onReload(listener: (outcome: ReloadOutcome, rules: RuleSet) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Compiles the rules in force with some sources' documents replaced, without
   * swapping: how a dry-run write is validated against the whole rule set it would produce.
   */
  check(replaced: Readonly<Record<string, readonly RuleDocument[]>>): Candidate {
    return compileSnapshot(this.sources, this.replacing(replaced), new DiagnosticSink({ file: '(rules)' }));
  }

  /**
   * A write to a source, as one step of the reload queue: compile with `replaced`, and if
   * valid, `store` the change (durably, in the source's own place) and swap the result in.
   * No reload can land between the check and the swap, so a stored change is always the one
   * in force; an invalid candidate stores nothing, and a failed `store` swaps nothing.
   */
  write(replaced: Readonly<Record<string, readonly RuleDocument[]>>, store: () => Promise<void>): Promise<Candidate> {
    const run = this.queue.then(async () => {
      const next = this.replacing(replaced);
      const candidate = compileSnapshot(this.sources, next, new DiagnosticSink({ file: '(rules)' }));
      if (!candidate.ok) return candidate;
      await store();
      this.swap(next, candidate);
      return candidate;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private replacing(replaced: Readonly<Record<string, readonly RuleDocument[]>>): Snapshot {
    const next = new Map(this.snapshot);
    for (const [name, docs] of Object.entries(replaced)) next.set(name, docs);
    return next;
  }

  /**
   * Reads the named sources again (all by default), compiles with the others'
   * documents in force, and swaps if valid. Reloads run one at a time; calls
   * made while one waits join it, so a burst of changes costs one more load.
   */
  reload(names: readonly string[] = this.sources.map((s) => s.name)): Promise<ReloadOutcome> {
    if (this.pending) {
      for (const n of names) this.pending.names.add(n);
      return this.pending.done;
    }
    const pending = { names: new Set(names), done: undefined as unknown as Promise<ReloadOutcome> };
    pending.done = this.queue.then(() => {
      if (this.pending === pending) this.pending = undefined;
      return this.loadOnce(pending.names);
    });
    this.pending = pending;
    this.queue = pending.done.catch(() => undefined);
    return pending.done;
  }

  private async loadOnce(names: ReadonlySet<string>): Promise<ReloadOutcome> {
    const sink = new DiagnosticSink({ file: '(rules)' });
    const next = new Map(this.snapshot);
    for (const s of this.sources) if (names.has(s.name)) next.set(s.name, await s.read(sink));
    return this.swap(next, compileSnapshot(this.sources, next, sink));
  }

  private swap(next: Snapshot, candidate: Candidate): ReloadOutcome {
    let outcome: ReloadOutcome;
    if (candidate.ok) {
      this.rules = candidate.rules;
      this.snapshot = next;
      this.gen++;
      outcome = { ok: true, generation: this.gen, errors: [] };
    } else {
      outcome = { ok: false, generation: this.gen, errors: candidate.errors.map(formatDiagnostic) };
    }
    this.last = outcome;
    for (const listener of this.listeners) listener(outcome, this.rules);
    return outcome;
  }

  /** Reloads a source when it signals a change, debounced per source; returns a stop function. */
  watch(debounceMs = 250): () => void {
    const stops = this.sources.flatMap((s) => {
      if (!s.watch) return [];
      let timer: NodeJS.Timeout | undefined;
      const stop = s.watch(() => {
        clearTimeout(timer);
        timer = setTimeout(() => void this.reload([s.name]), debounceMs);
      });
      return [() => (clearTimeout(timer), stop())];
    });
    return () => {
      for (const stop of stops) stop();
    };
  }
}
