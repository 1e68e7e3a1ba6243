// Every write goes the same way, one at a time: build the next object, check
// it against the whole rule set it would produce (the same decoder and
// compiler as rule files, cross-object checks included), persist it durably,
// commit it to the store (watchers see it), and swap the rules in force
// before answering -- all as one step of the holder's reload queue. dryRun
// stops after the check; an invalid write changes nothing.
import type { RuleDiagnostic } from '../core/index.js';
import type { RulesHolder } from '../config/rules-holder.js';
import { type Resource, RESOURCES } from './kinds.js';
import type { KubeObject } from './object.js';
import type { StateDir } from './persistence.js';
import { API_SOURCE, READ_ONLY_ANNOTATION, SOURCE_ANNOTATION, documentsOf, readOnlyObjects } from './sources.js';
import { type StatusCause, forbidden, invalid } from './status.js';
import type { ObjectStore } from './store.js';

/** Builds the next object from the stored one; undefined deletes. Throws ApiError to refuse. */
export type Build = (current: KubeObject | undefined) => KubeObject | undefined;

export interface WriteResult {
  readonly object: KubeObject;
  readonly created: boolean;
  readonly deleted: boolean;
}

const causeOf = (d: RuleDiagnostic): StatusCause => ({
  reason: 'FieldValueInvalid',
  // A problem found in another object (a cross-object check) names that object.
  message: d.origin.file.startsWith('api/') ? d.message : `${d.message} (in ${d.origin.object ?? ''} from ${d.origin.file})`,
  ...(d.path ? { field: d.path } : {}),
});

export class Writer {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly state: StateDir,
    private readonly holder: RulesHolder,
  ) {}

  /** Mirrors the read-only sources' objects in force into the store (queued behind writes, so versions stay ordered). */
  syncReadOnly(): void {
    this.queue = this.queue.then(() => {
      for (const r of RESOURCES) this.store.syncFixed(r, this.holder.sources.filter((s) => s.readOnly).flatMap((s) => readOnlyObjects(r, this.holder.documents(s.name), s.name)));
    });
  }

  write(r: Resource, name: string, build: Build, dryRun: boolean): Promise<WriteResult> {
    const run = this.queue.then(() => this.writeNow(r, name, build, dryRun));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(r: Resource, name: string, build: Build, dryRun: boolean): Promise<WriteResult> {
    const fixed = this.store.isFixed(r, name) ? this.store.get(r, name) : undefined;
    if (fixed) throw forbidden(r, name, `it is defined by the read-only rule source ${fixed.metadata.annotations?.[SOURCE_ANNOTATION] ?? ''}; change it there (objects annotated ${READ_ONLY_ANNOTATION} cannot be written through the API)`);
    const current = this.store.get(r, name);
    const next = build(current);
    const key = `${r.plural}/${name}`;
    const entries = this.store.entries().filter(([k]) => k !== key);
    const replaced = { [API_SOURCE]: documentsOf(next ? [...entries, [key, next]] : entries) };
    const result = { object: next ?? (current as KubeObject), created: current === undefined, deleted: next === undefined };
    if (dryRun) {
      const candidate = this.holder.check(replaced);
      if (!candidate.ok) throw invalid(r, name, candidate.errors.map(causeOf));
      return result;
    }
    const rv = this.store.resourceVersion + 1;
    const object: KubeObject = { ...result.object, metadata: { ...result.object.metadata, resourceVersion: String(rv) } };
    // Checked, stored and put in force as one step of the holder's reload queue: a rule-file
    // reload cannot land in between and leave a stored, acknowledged write out of force.
    const candidate = await this.holder.write(replaced, async () => {
      if (next) await this.state.put(r, object);
      else await this.state.remove(r, name, rv);
      this.store.commit({ type: next ? (current ? 'MODIFIED' : 'ADDED') : 'DELETED', resource: r, rv, object });
    });
    if (!candidate.ok) throw invalid(r, name, candidate.errors.map(causeOf));
    return { ...result, object };
  }
}
