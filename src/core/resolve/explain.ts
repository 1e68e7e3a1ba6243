// The two forms `mirrorgate resolve` prints. The JSON form is a stable,
// documented interface (README "resolve --json"); the text form explains.
import { originLabel } from '../rules/model.js';
import type { Attempt, Plan } from './plan.js';

export interface PlanJson {
  image: string;
  pullBy: 'digest' | 'tag';
  denied?: string;
  endpoints: { reference: string; role: 'mirror' | 'source'; insecure: boolean }[];
}

export function planToJson(plan: Plan): PlanJson {
  return {
    image: plan.image,
    pullBy: plan.pullBy,
    ...(plan.denied === undefined ? {} : { denied: plan.denied }),
    endpoints: plan.endpoints.map((e) => ({ reference: e.reference, role: e.role, insecure: e.insecure })),
  };
}

export function explainPlan(plan: Plan): string {
  if (plan.candidates) {
    return [`${plan.image}: short name, candidates in order`, ...plan.candidates.map(explainPlan), verdict(plan)].join('\n\n');
  }
  const lines = [`image:    ${plan.image}`, `pull by:  ${plan.pullBy}`];
  lines.push(`rule:     ${plan.matchedPrefix === undefined ? 'no registries.conf entry matches; the reference is pulled as is' : `entry ${JSON.stringify(plan.matchedPrefix)} (the longest matching prefix)`}`);
  for (const note of plan.entryNotes) lines.push(`          ${note}`);
  lines.push(`policy:   ${plan.policy.accept ? 'accepted' : 'REJECTED'}: ${plan.policy.reason}`, '', table(plan.attempts));
  for (const m of plan.excludedMirrors) lines.push(`  not used: ${m.location}: ${m.reason}`);
  for (const d of plan.divergences) lines.push('', `note: ${d}`);
  lines.push('', verdict(plan));
  return lines.join('\n');
}

function verdict(plan: Plan): string {
  if (plan.denied !== undefined) return `DENIED: ${plan.denied}`;
  return `${plan.endpoints.length} endpoint${plan.endpoints.length === 1 ? '' : 's'} will be tried in this order.`;
}

function table(attempts: readonly Attempt[]): string {
  const rows = attempts.map((a, i) => [String(i + 1), a.role, a.reference, flags(a), why(a)]);
  const header = ['#', 'role', 'reference', 'flags', 'why'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function flags(a: Attempt): string {
  const out = [a.blocked !== undefined ? 'SKIPPED' : '', a.insecure ? 'insecure' : '', a.ca ? `ca:${a.ca.host}` : ''].filter(Boolean);
  return out.join(',') || '-';
}

function why(a: Attempt): string {
  if (a.blocked !== undefined) return a.blocked;
  if (a.role === 'source') return 'the source, always tried after its mirrors';
  return a.origins.length > 0 ? `mirror from ${a.origins.map(originLabel).join(', ')}` : 'mirror';
}
