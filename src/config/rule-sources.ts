// Where rules come from. The rules in force are compiled from several
// sources at once — the configured rule files (read-only), the rules API's
// state directory (read-write), a followed cluster (read-only) — by one
// decoder and one compiler, so every source is validated the same way and a
// source can only ever be in force together with all the others.
import type { DiagnosticSink } from '../core/index.js';

/** One rule document as a source holds it: text the rule-file decoder reads (YAML, JSON or TOML). */
export interface RuleDocument {
  /**
   * Names the document in diagnostics, plans and DENIED bodies: a path relative
   * to the configured rules root, or `api:Kind/name`; never an absolute server
   * path. Its extension picks the decoder (`.toml` is registries.conf, anything
   * else YAML/JSON).
   */
  readonly label: string;
  readonly text: string;
}

export interface RuleSource {
  /** Unique among the holder's sources: `files`, `api`, `cluster`. */
  readonly name: string;
  /** Objects of a read-only source cannot be changed through the rules API. */
  readonly readOnly: boolean;
  /**
   * The source's documents as they are now. A problem reading them (a missing
   * path, a dangling symlink, a file gone while listed) is an error on `sink`,
   * never a rejection: the holder then keeps the rules in force.
   */
  read(sink: DiagnosticSink): Promise<readonly RuleDocument[]>;
  /** Calls `changed` whenever the documents may have changed; returns a stop function. */
  watch?(changed: () => void): () => void;
}
