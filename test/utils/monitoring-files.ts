import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const DEPLOY = join(__dirname, '..', '..', 'deploy');
export const RULES_DIR = join(DEPLOY, 'prometheus');
export const RULE_FILES = ['realtime.rules.yml', 'rollout-split.rules.yml'].map((file) => join(RULES_DIR, file));
export const DASHBOARD_FILE = join(DEPLOY, 'grafana', 'realtime-dashboard.json');
export const MTAIL_PROGRAM = join(DEPLOY, 'mtail', 'realtime-stack.mtail');

interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
}

export const rules = (): Rule[] =>
  RULE_FILES.flatMap((file) => (parse(readFileSync(file, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((group) => group.rules));

/** Every PromQL expression of the dashboard's panels, with its variables given their default values. */
export const dashboardExpressions = (): string[] =>
  (JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> }).panels.flatMap((panel) =>
    panel.targets.map((target) => target.expr.replaceAll('$job', 'realtime')),
  );

const NOT_METRICS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** The metric (and recorded) names a PromQL expression reads: not functions, keywords, labels or durations. */
export function metricNamesIn(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names = [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)].filter((match) => !match[2]).map((match) => match[1]!);
  return [...new Set(names.filter((name) => !NOT_METRICS.has(name.toLowerCase())))];
}
