import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { dashboardExpressions, RULE_FILES, RULES_DIR, rules } from '../utils/monitoring-files';
import { describeWithProgram, findProgram } from '../utils/programs';

const PROMTOOL = findProgram('promtool');
const TEST_DIR = join(RULES_DIR, 'tests');
const TEST_FILES = readdirSync(TEST_DIR)
  .filter((file) => file.endsWith('.test.yml'))
  .map((file) => join(TEST_DIR, file));

interface AlertTest {
  readonly alertname: string;
  readonly exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
}
interface RuleTest {
  readonly input_series: Array<{ series: string }>;
  readonly alert_rule_test?: AlertTest[];
}

const alertNames = (): string[] => rules().flatMap((rule) => (rule.alert ? [rule.alert] : []));
const ruleTests = (): RuleTest[] => TEST_FILES.flatMap((file) => (parse(readFileSync(file, 'utf8')) as { tests: RuleTest[] }).tests);

describeWithProgram(PROMTOOL, 'prometheus (for promtool)', 'deploy/prometheus rules', () => {
  const promtool = (...args: string[]) => promisify(execFile)(PROMTOOL!, args, { cwd: RULES_DIR });

  it('pass promtool check rules', async () => {
    const { stdout } = await promtool('check', 'rules', ...RULE_FILES);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', async () => {
    const result = await promtool('test', 'rules', ...TEST_FILES).catch((error: { stdout: string; stderr: string }) => error);
    expect(result.stderr + result.stdout).not.toMatch(/FAILED/);
    expect(result.stdout.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
  });

  it('has a dashboard whose every query is PromQL promtool accepts', async () => {
    // promtool checks expressions only inside rule files: each panel's query as a recording rule.
    const file = join(mkdtempSync(join(tmpdir(), 'dashboard-rules-')), 'dashboard.rules.yml');
    const records = dashboardExpressions().map((expr, index) => ({ record: `dashboard:panel_query_${index}`, expr }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: records }] }));
    const { stdout } = await promtool('check', 'rules', file);
    expect(stdout).toContain(`SUCCESS: ${records.length} rules found`);
  });

  it.each(alertNames())('%s has a test that fires it and one where it stays quiet', (alertname) => {
    const cases = ruleTests().flatMap((test) =>
      (test.alert_rule_test ?? []).filter((check) => check.alertname === alertname).map((check) => ({ test, check })),
    );
    const firing = cases.filter(({ check }) => (check.exp_alerts ?? []).length > 0);
    expect(firing.length).toBeGreaterThan(0);
    // Quiet: an evaluation expecting no alert, or a series of an instance the firing expectation leaves out.
    const quietInstance = firing.some(({ test, check }) => {
      const alerting = new Set(check.exp_alerts!.map((alert) => alert.exp_labels?.['instance']));
      return test.input_series.some(({ series }) => !alerting.has(/instance="([^"]+)"/.exec(series)?.[1]));
    });
    expect(quietInstance || cases.some(({ check }) => (check.exp_alerts ?? []).length === 0)).toBe(true);
  });
});
