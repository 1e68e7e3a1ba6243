// The file-system edge of rule loading: the configured rule paths as a rule
// source. Every problem reading them is a diagnostic, never a rejection: a
// dangling symlink or a file removed while its directory is listed must not
// take `serve` down, and must not pass silently either.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { DiagnosticSink, RULE_FILE_EXTENSIONS, type RuleSet, compileRules, parseRuleFile } from '../core/index.js';
import type { RuleDocument, RuleSource } from './rule-sources.js';

interface RuleFile {
  readonly path: string;
  /** Relative to the parent of the configured root, so it names the root too but no absolute path. */
  readonly label: string;
}

const reason = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

/** Files under `root`, recursively, in name order: the order objects are listed in is the order given. */
async function ruleFiles(root: string, path: string, sink: DiagnosticSink): Promise<RuleFile[]> {
  const label = relative(dirname(root), path) || basename(path);
  const fail = (err: unknown): RuleFile[] => (sink.withOrigin({ file: label }).error('', `cannot read: ${reason(err)}`), []);
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    return fail(err);
  }
  if (!info.isDirectory()) return path === root || RULE_FILE_EXTENSIONS.some((e) => e === extname(path)) ? [{ path, label }] : [];
  let names: string[];
  try {
    names = (await readdir(path)).filter((n) => !n.startsWith('.')).sort();
  } catch (err) {
    return fail(err);
  }
  const nested = await Promise.all(names.map((n) => ruleFiles(root, join(path, n), sink)));
  return nested.flat();
}

async function readDocuments(paths: readonly string[], sink: DiagnosticSink): Promise<RuleDocument[]> {
  const files = (await Promise.all(paths.map((p) => ruleFiles(p, p, sink)))).flat();
  const docs = await Promise.all(
    files.map(async (f) => {
      try {
        return [{ label: f.label, text: await readFile(f.path, 'utf8') }];
      } catch (err) {
        sink.withOrigin({ file: f.label }).error('', `cannot read: ${reason(err)}`);
        return [];
      }
    }),
  );
  return docs.flat();
}

/** The configured rule files and directories: read-only, watched for changes. */
export function fileSource(paths: readonly string[]): RuleSource {
  return {
    name: 'files',
    readOnly: true,
    read: (sink) => readDocuments(paths, sink),
    watch(changed) {
      const watchers: FSWatcher[] = paths.flatMap((path) => {
        try {
          const w = watch(path, { recursive: true }, changed);
          // A watched directory removed later emits an error; the next reload reports the missing path.
          w.on('error', () => changed());
          return [w];
        } catch {
          return [];
        }
      });
      return () => {
        for (const w of watchers) w.close();
      };
    },
  };
}

/** Decodes documents from any source with the one rule-file decoder. */
export const decodeDocuments = (docs: readonly RuleDocument[], sink: DiagnosticSink) => docs.flatMap((d) => parseRuleFile(d.label, d.text, sink));

/** Loads and compiles every rule under `paths`; throws InvalidRulesError with all problems found. */
export async function loadRules(paths: readonly string[]): Promise<RuleSet> {
  const sink = new DiagnosticSink({ file: '(rules)' });
  const objects = decodeDocuments(await fileSource(paths).read(sink), sink);
  // Compiling even after decode errors finds the load-time errors too; it throws them all together.
  return compileRules(objects, sink);
}
