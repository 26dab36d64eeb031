import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describeWithProgram, findProgram } from '../utils/programs';

const PROMTOOL = findProgram('promtool');
export const RULES_DIR = join(__dirname, '..', '..', 'deploy', 'prometheus');
export const RULE_FILES = ['realtime.rules.yml', 'rollout-split.rules.yml'].map((file) => join(RULES_DIR, file));
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

const alertNames = (): string[] =>
  RULE_FILES.flatMap((file) =>
    (parse(readFileSync(file, 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string }> }> }).groups.flatMap((group) =>
      group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])),
    ),
  );
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
