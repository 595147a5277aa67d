import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AnnotationMetadataEntryType, Testing, type TerraformStack } from 'cdktf';
import { fleetStack, openAi, synth, synthError } from './fixtures';
import { type AiGatewayFleet, type AiGatewayProps, FINAL_RULES, type Finding, LOCK_FILE_CONTEXT_KEY, type Rule, type RuleContext, RULES, Rules } from '../../src';
import { runRules } from '../../src/constructs/rules/runner';

/** What the rules of one fleet look at, with nothing read from disk. */
function contextOf(fleet: AiGatewayFleet): RuleContext {
  return {
    fleets: [fleet],
    gateways: fleet.gateways,
    lock: { entries: {} },
    openApi: new Map(),
    fileExists: () => false,
    configOf: () => ({ issues: [] }),
  };
}

/**
 * A rule of a given level that reports what it is given. It borrows a real rule's id because
 * Rules.suppress accepts only the ids of real rules; today every real rule reports errors only.
 */
function fakeRule(level: Rule['level'], errors: Rule['errors'], findings: () => Finding[]): Rule {
  return { id: 'domain-tls', description: 'test', level, errors, check: findings };
}

const ADVISORY: Rule['errors'] = { suppressible: true };
const REJECTED: Rule['errors'] = { suppressible: false, because: 'Kubernetes rejects it' };

describe('the runner stamps each finding with its rule id and level', () => {
  test('a rule returns construct and message; the runner adds the id, the level and the path', () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless' });
    const rule = fakeRule('warning', ADVISORY, () => [{ construct: g, message: 'careful' }, { construct: g, message: 'noted', level: 'info' }]);
    expect(runRules([rule], contextOf(fleet))).toEqual({
      violations: [
        { rule: 'domain-tls', level: 'warning', path: g.node.path, message: 'careful', construct: g },
        { rule: 'domain-tls', level: 'info', path: g.node.path, message: 'noted', construct: g },
      ],
      suppressed: [],
    });
  });

  test('no rule file states its own id more than once (in its id field)', () => {
    const dir = join(__dirname, '..', '..', 'src', 'constructs', 'rules');
    const sources = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    for (const rule of [...RULES, ...FINAL_RULES]) expect([rule.id, sources.split(`'${rule.id}'`).length - 1]).toEqual([rule.id, 1]);
  });

  test('every rule states its level, and whether its errors can be suppressed or why not', () => {
    for (const rule of [...RULES, ...FINAL_RULES]) {
      expect(['error', 'warning', 'info']).toContain(rule.level);
      expect(rule.errors.suppressible || rule.errors.because.length > 10).toBe(true);
    }
  });
});

describe('Rules.suppress silences a rule on a construct and its children, with a reason', () => {
  test('a warning on a child is silenced by a suppression on its parent, and keeps the reason and where it was declared', () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless' });
    const other = fleet.addGateway('other', { edition: 'serverless' });
    const route = g.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: openAi() }] }] });
    Rules.suppress(g, 'domain-tls', 'accepted for the pilot');
    const rule = fakeRule('warning', REJECTED, () => [{ construct: route, message: 'on the child' }, { construct: other, message: 'on a sibling' }]);
    const report = runRules([rule], contextOf(fleet));
    expect(report.violations.map((v) => v.message)).toEqual(['on a sibling']);
    expect(report.suppressed).toEqual([
      expect.objectContaining({ rule: 'domain-tls', level: 'warning', path: route.node.path, suppression: { ruleId: 'domain-tls', reason: 'accepted for the pilot', declaredAt: g.node.path } }),
    ]);
  });

  test('the nearest suppression wins; a suppression of another rule silences nothing', () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless' });
    Rules.suppress(fleet, 'domain-tls', 'fleet-wide');
    Rules.suppress(g, 'domain-tls', 'this gateway');
    Rules.suppress(g, 'quotas', 'unrelated');
    const report = runRules([fakeRule('info', ADVISORY, () => [{ construct: g, message: 'x' }])], contextOf(fleet));
    expect(report.suppressed.map((s) => s.suppression.reason)).toEqual(['this gateway']);
  });

  test('an error is silenced only when its rule is advisory; otherwise its message says why it cannot be', () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless' });
    Rules.suppress(g, 'domain-tls', 'we know');
    const finding = () => [{ construct: g, message: 'Broken.' }];
    expect(runRules([fakeRule('error', ADVISORY, finding)], contextOf(fleet)).violations).toEqual([]);
    expect(runRules([fakeRule('error', REJECTED, finding)], contextOf(fleet)).violations.map((v) => [v.level, v.message])).toEqual([
      ['error', `Broken. Rules.suppress('domain-tls') at ${g.node.path} cannot silence this error: Kubernetes rejects it.`],
    ]);
  });

  test('a member of a family is silenced by its own id or by the rule id, not by a sibling member', () => {
    const { fleet } = fleetStack();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => fleet.addGateway(id, { edition: 'serverless' }));
    Rules.suppress(a, 'quota:routes', 'member');
    Rules.suppress(b, 'quotas', 'family');
    Rules.suppress(c, 'quota:domains', 'another member');
    const members = () => [a, b, c].map((construct): Finding => ({ construct, id: 'quota:routes', message: 'many' }));
    const rule: Rule = { ...fakeRule('warning', ADVISORY, members), id: 'quotas', findingIds: ['quota:routes', 'quota:domains'] };
    const report = runRules([rule], contextOf(fleet));
    expect(report.suppressed.map((s) => [s.rule, s.suppression.reason])).toEqual([
      ['quota:routes', 'member'],
      ['quota:routes', 'family'],
    ]);
    expect(report.violations.map((v) => v.path)).toEqual([c.node.path]);
  });

  test('an unknown rule id or an empty reason is refused when declared', () => {
    const { fleet } = fleetStack();
    expect(() => Rules.suppress(fleet, 'no-such-rule', 'why')).toThrow(/unknown rule 'no-such-rule'\. Use one of fleet-props, .*quota:routes/);
    expect(() => Rules.suppress(fleet, 'region-limit', ' ')).toThrow('a reason is required');
  });
});

describe('suppressions at synth', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const lockFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-suppress-'));
    dirs.push(dir);
    return join(dir, 'aigw.lock.json');
  };
  function appWithLock(file: string, props: AiGatewayProps) {
    const app = Testing.app({ context: { [LOCK_FILE_CONTEXT_KEY]: file } });
    const { stack, fleet } = fleetStack({}, app);
    const gateway = fleet.addGateway('prod', props);
    gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
    return { stack, fleet, gateway };
  }
  const infosOf = (stack: TerraformStack) =>
    stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.INFO).map((m) => String(m.data)));
  const recordedIn = (stack: TerraformStack): unknown => (stack.toTerraform() as { '//'?: { aigw?: { suppressions?: unknown } } })['//']?.aigw?.suppressions;

  test("the lock file's spec-change note is an info of no-downgrade; suppressed, it is recorded with its reason in the stack JSON", () => {
    const file = lockFile();
    synth(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1' }).stack);
    const noted = appWithLock(file, { edition: 'dedicated', spec: 'aigw.medium.x1' });
    synth(noted.stack);
    expect(infosOf(noted.stack)).toEqual(["Gateway 'prod': spec changes from aigw.small.x1 to aigw.medium.x1."]);
    expect(recordedIn(noted.stack)).toBeUndefined();

    const { stack, fleet, gateway } = appWithLock(file, { edition: 'dedicated', spec: 'aigw.large.x1' });
    Rules.suppress(fleet, 'no-downgrade', 'resize approved in CHG-1234');
    synth(stack);
    expect(infosOf(stack)).toEqual([]);
    expect(recordedIn(stack)).toEqual([
      {
        rule: 'no-downgrade',
        level: 'info',
        path: gateway.node.path,
        message: "Gateway 'prod': spec changes from aigw.medium.x1 to aigw.large.x1.",
        reason: 'resize approved in CHG-1234',
        suppressedAt: fleet.node.path,
      },
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8')).gateways[gateway.node.path].spec).toBe('aigw.large.x1');
  });

  test('an error of a rule Kubernetes or the data plane would reject stays an error, and says why it cannot be suppressed', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless' });
    const route = g.addModelRoute('empty', {});
    Rules.suppress(g, 'route-backends', 'later');
    expect(synthError(stack)).toContain(
      `[route-backends] ModelRoute 'empty' (${route.node.path}): has no models, so no backend. Add one with the models prop or route.addModel(). Rules.suppress('route-backends') at ${g.node.path} cannot silence this error: the data plane rejects a route, model or MCP server with nowhere to send requests.`,
    );
  });
});
