import { configOf, fleetStack, resourcesOf, synth } from './fixtures';
import type { RuleContext } from '../../src/constructs/rules/context';
import { extensionAdminTokenRule } from '../../src/constructs/rules/extension-admin-token';

const ADMIN = { secretName: 'aigw-admin', key: 'token' };

describe('adminToken', () => {
  test("is emitted as the config's admin.token, and its Secret is mounted in the gateway's pods", () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('lab', { edition: 'serverless', adminToken: ADMIN });
    const tf = synth(stack);
    expect(configOf(tf, 'lab').admin).toEqual({ token: ADMIN });
    const gateway = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.labels?.['app.kubernetes.io/instance'] === 'lab');
    expect(JSON.stringify(gateway.spec.template.spec.volume)).toContain('"aigw-admin"');
  });

  test('a gateway without it has no admin block', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('lab', { edition: 'serverless' });
    expect(configOf(synth(stack), 'lab').admin).toBeUndefined();
  });

  test('a value that is not a SecretRef is refused at the prop', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('lab', { edition: 'serverless', adminToken: { secretName: 'Not A Name', key: 'token' } });
    expect(() => synth(stack)).toThrow(/adminToken/);
  });
});

describe('extension-admin-token', () => {
  const findings = (withToken: boolean, extension: { name: 'token-quota' | 'ai-cache'; enabled?: boolean }) => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('lab', { edition: 'serverless', ...(withToken && { adminToken: ADMIN }) });
    if (extension.name === 'token-quota') g.addExtension('ext', { source: 'system', name: 'token-quota', enabled: extension.enabled, config: { daily: 1000 } });
    else g.addExtension('ext', { source: 'system', name: 'ai-cache', enabled: extension.enabled });
    return extensionAdminTokenRule.check({ gateways: [g] } as unknown as RuleContext).map((f) => f.message);
  };

  test('warns on a gateway with token-quota and no adminToken, saying what is off and how to turn it on', () => {
    expect(findings(false, { name: 'token-quota' })).toEqual([
      expect.stringMatching(/^Gateway 'lab' .*: has 'token-quota', whose admin API \(balances, top-ups\) is off without an adminToken: every call to \/extensions\/… on the admin port answers 403\. Set adminToken: \{ secretName, key \}/),
    ]);
  });

  test('says nothing with an adminToken, for a disabled token-quota, or for extensions without an admin API', () => {
    expect(findings(true, { name: 'token-quota' })).toEqual([]);
    expect(findings(false, { name: 'token-quota', enabled: false })).toEqual([]);
    expect(findings(false, { name: 'ai-cache' })).toEqual([]);
  });
});
