// The file-system edge of rule loading: expands paths into rule files and
// hands their text to the pure core.
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DiagnosticSink, RULE_FILE_EXTENSIONS, type RuleObject, type RuleSet, compileRules, parseRuleFile } from '../core/index.js';

/** Files of a directory, recursively, in name order: the order objects are listed in is the order given. */
async function ruleFiles(path: string, sink: DiagnosticSink): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    sink.withOrigin({ file: path }).error('', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return [];
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => !n.startsWith('.')).sort();
  const nested = await Promise.all(names.map(async (n) => {
    const child = join(path, n);
    const childInfo = await stat(child);
    if (childInfo.isDirectory()) return ruleFiles(child, sink);
    return (RULE_FILE_EXTENSIONS as readonly string[]).includes(extname(n)) ? [child] : [];
  }));
  return nested.flat();
}

/** Loads and compiles every rule under `paths`; throws InvalidRulesError with all problems found. */
export async function loadRules(paths: readonly string[]): Promise<RuleSet> {
  const sink = new DiagnosticSink({ file: '(rules)' });
  const files = (await Promise.all(paths.map((p) => ruleFiles(p, sink)))).flat();
  const objects: RuleObject[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      sink.withOrigin({ file }).error('', `cannot read: ${err.code ?? String(err)}`);
      return undefined;
    });
    if (text !== undefined) objects.push(...parseRuleFile(file, text, sink));
  }
  // Compiling even after decode errors finds the load-time errors too; it throws them all together.
  return compileRules(objects, sink);
}
