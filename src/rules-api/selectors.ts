// labelSelector and fieldSelector as the API server parses them
// (k8s.io/apimachinery/pkg/labels/selector.go, fields/selector.go): equality
// (=, ==, !=), set (in, notin), existence (key, !key); fields: metadata.name
// (and metadata.namespace, always empty for these cluster-scoped kinds).
import type { KubeObject } from './object.js';
import { badRequest } from './status.js';

type Test = (labels: Readonly<Record<string, string>>) => boolean;

/** Splits on commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

const KEY = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?';
const VALUE = '([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?';

function labelTerm(term: string): Test {
  let m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(term);
  if (m) {
    const [, key = '', , op, value = ''] = m;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(term);
  if (m) {
    const [, key = '', , op, list = ''] = m;
    const values = list.split(',').map((v) => v.trim());
    return op === 'in' ? (l) => l[key] !== undefined && values.includes(l[key]) : (l) => l[key] === undefined || !values.includes(l[key]);
  }
  m = new RegExp(`^(!?)\\s*(${KEY})$`).exec(term);
  if (m) {
    const [, not, key = ''] = m;
    return not ? (l) => l[key] === undefined : (l) => l[key] !== undefined;
  }
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function labelSelector(text: string | null): (o: KubeObject) => boolean {
  if (!text) return () => true;
  const tests = terms(text).map(labelTerm);
  return (o) => tests.every((t) => t(o.metadata.labels ?? {}));
}

export function fieldSelector(text: string | null): (o: KubeObject) => boolean {
  if (!text) return () => true;
  const tests = terms(text).map((term) => {
    const m = /^([a-zA-Z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') throw badRequest(`field label not supported: ${field}`);
    const get = (o: KubeObject) => (field === 'metadata.name' ? o.metadata.name : '');
    return op === '!=' ? (o: KubeObject) => get(o) !== value : (o: KubeObject) => get(o) === value;
  });
  return (o) => tests.every((t) => t(o));
}
