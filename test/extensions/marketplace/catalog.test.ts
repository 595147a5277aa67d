import { EXTENSION_PHASES } from '../../../src/extensions';
import { findMarketplaceExtension, MARKETPLACE, marketplaceNames, marketplaceVersions } from '../../../src/extensions/marketplace';

describe('the marketplace catalog', () => {
  test('has the four vetted extensions, with hmac-auth in two versions', () => {
    expect(MARKETPLACE.map((m) => `${m.name}@${m.version}`).sort()).toEqual([
      'audit-log@1.0.0',
      'hmac-auth@1.0.0',
      'hmac-auth@1.1.0',
      'json-schema-guard@1.0.0',
      'pii-redaction@1.0.0',
    ]);
    expect(marketplaceNames()).toEqual(['audit-log', 'hmac-auth', 'json-schema-guard', 'pii-redaction']);
  });

  test.each(MARKETPLACE.map((m) => [`${m.name}@${m.version}`, m] as const))('%s: a well-formed manifest', (_, m) => {
    expect(m.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(m.definition.name).toBe(m.name);
    expect(m.editions).toEqual(['dedicated']);
    expect(EXTENSION_PHASES).toContain(m.phase);
    expect(Number.isInteger(m.priority) && m.priority >= 0 && m.priority <= 1000).toBe(true);
    expect(m.description.length).toBeGreaterThan(50);
    expect(typeof m.definition.parseConfig).toBe('function');
    expect(MARKETPLACE.filter((o) => o.name === m.name && o.version === m.version)).toHaveLength(1);
  });

  test('the phases: hmac-auth authenticates, pii-redaction runs before routing, audit-log with the statistics', () => {
    expect(Object.fromEntries(MARKETPLACE.map((m) => [m.name, m.phase]))).toEqual({ 'pii-redaction': 'authz', 'json-schema-guard': 'default', 'hmac-auth': 'authn', 'audit-log': 'stats' });
  });

  test('the failure policies: what guards fails closed, what only observes fails open', () => {
    expect(Object.fromEntries(MARKETPLACE.map((m) => [`${m.name}@${m.version}`, m.failPolicy]))).toEqual({
      'pii-redaction@1.0.0': 'closed',
      'json-schema-guard@1.0.0': 'closed',
      'hmac-auth@1.0.0': 'closed',
      'hmac-auth@1.1.0': 'closed',
      'audit-log@1.0.0': 'open',
    });
  });

  test('versions are sorted as semver, newest first; no version asked is the latest', () => {
    expect(marketplaceVersions('hmac-auth')).toEqual(['1.1.0', '1.0.0']);
    expect(findMarketplaceExtension('hmac-auth')?.version).toBe('1.1.0');
    expect(findMarketplaceExtension('hmac-auth', '1.0.0')?.version).toBe('1.0.0');
    expect(findMarketplaceExtension('hmac-auth', '99.0.0')).toBeUndefined();
    expect(findMarketplaceExtension('nope')).toBeUndefined();
    expect(marketplaceVersions('nope')).toEqual([]);
  });

  test('the extensions with nothing to configure load with no config, defaults filled in', () => {
    expect(findMarketplaceExtension('pii-redaction')!.definition.parseConfig!({})).toEqual({
      entities: ['email', 'phone', 'card', 'national-id'],
      mask: '[REDACTED:<entity>]',
      inspectAnswers: false,
    });
    expect(findMarketplaceExtension('audit-log')!.definition.parseConfig!({})).toEqual({ includeBodyHash: true });
  });
});
