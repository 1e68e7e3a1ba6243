// The rules in force, and reloading them: a new rule set is loaded and
// validated whole, then swapped in with one assignment. Requests that already
// resolved their plan finish on the old set; new ones see the new set. An
// invalid change keeps the previous rules and is reported.
import { watch, type FSWatcher } from 'node:fs';
import { InvalidRulesError, formatDiagnostic } from '../core/index.js';
import type { RuleSet } from '../core/rules/model.js';
import { loadRules } from './load-rules.js';

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly generation: number;
  readonly errors: readonly string[];
}

export class RulesHolder {
  private rules: RuleSet;
  private gen = 1;
  private last: ReloadOutcome;
  private reloading: Promise<ReloadOutcome> | undefined;
  private again = false;
  private readonly listeners: ((outcome: ReloadOutcome, rules: RuleSet) => void)[] = [];

  private constructor(
    readonly paths: readonly string[],
    initial: RuleSet,
  ) {
    this.rules = initial;
    this.last = { ok: true, generation: 1, errors: [] };
  }

  /** The first load must succeed: there is nothing to keep yet. */
  static async load(paths: readonly string[]): Promise<RulesHolder> {
    return new RulesHolder(paths, await loadRules(paths));
  }

  current = (): RuleSet => this.rules;
  get generation(): number {
    return this.gen;
  }
  get lastReload(): ReloadOutcome {
    return this.last;
  }

  onReload(listener: (outcome: ReloadOutcome, rules: RuleSet) => void): void {
    this.listeners.push(listener);
  }

  /** Loads the rules again; concurrent calls share one load, and a call during a load schedules one more. */
  reload(): Promise<ReloadOutcome> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = this.loadOnce().finally(() => {
      this.reloading = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  private async loadOnce(): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      const next = await loadRules(this.paths);
      this.rules = next;
      this.gen++;
      outcome = { ok: true, generation: this.gen, errors: [] };
    } catch (err) {
      if (!(err instanceof InvalidRulesError)) throw err;
      outcome = { ok: false, generation: this.gen, errors: err.diagnostics.map(formatDiagnostic) };
    }
    this.last = outcome;
    for (const listener of this.listeners) listener(outcome, this.rules);
    return outcome;
  }

  /** Reloads when anything under the rule paths changes, debounced; returns a stop function. */
  watch(debounceMs = 250): () => void {
    let timer: NodeJS.Timeout | undefined;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void this.reload(), debounceMs);
    };
    const watchers: FSWatcher[] = this.paths.flatMap((path) => {
      try {
        return [watch(path, { recursive: true }, changed)];
      } catch {
        return [];
      }
    });
    return () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    };
  }
}
