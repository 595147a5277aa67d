import { EXTENSION_PHASES } from '../../../src/extensions';
import { SYSTEM_EXTENSIONS } from '../../../src/extensions/system';

describe('SYSTEM_EXTENSIONS', () => {
  test('the nine system extensions, each under its own name, with a config parser, a phase and a priority', async () => {
    expect(Object.keys(SYSTEM_EXTENSIONS).sort()).toEqual(['ai-cache', 'ai-statistics', 'content-guard', 'header-transform', 'ip-restriction', 'key-auth', 'model-mapper', 'prompt-decorator', 'token-quota']);
    for (const [name, ext] of Object.entries(SYSTEM_EXTENSIONS)) {
      expect(ext.definition.name).toBe(name);
      expect(typeof ext.definition.parseConfig).toBe('function');
      expect(EXTENSION_PHASES).toContain(ext.phase);
      expect(Number.isInteger(ext.priority)).toBe(true);
      expect(['open', 'closed']).toContain(ext.failPolicy);
      expect(ext.description.length).toBeGreaterThan(20);
    }
  });

  test('default order: ip-restriction, key-auth, content-guard, token-quota, ai-statistics, then model-mapper, prompt-decorator, header-transform, ai-cache', async () => {
    const order = Object.entries(SYSTEM_EXTENSIONS)
      .sort(([, a], [, b]) => EXTENSION_PHASES.indexOf(a.phase) - EXTENSION_PHASES.indexOf(b.phase) || b.priority - a.priority)
      .map(([name]) => name);
    expect(order).toEqual(['ip-restriction', 'key-auth', 'content-guard', 'token-quota', 'ai-statistics', 'model-mapper', 'prompt-decorator', 'header-transform', 'ai-cache']);
  });

  test('guards fail closed; what only observes or saves work fails open', async () => {
    const policies = Object.fromEntries(Object.entries(SYSTEM_EXTENSIONS).map(([name, ext]) => [name, ext.failPolicy]));
    expect(policies).toEqual({
      'ip-restriction': 'closed',
      'key-auth': 'closed',
      'content-guard': 'closed',
      'token-quota': 'closed',
      'ai-statistics': 'open',
      'model-mapper': 'closed',
      'prompt-decorator': 'closed',
      'header-transform': 'closed',
      'ai-cache': 'open',
    });
  });

  test('ai-cache is the last of the default phase, at priority 1: an extension must go below it to run after it', async () => {
    expect(SYSTEM_EXTENSIONS['ai-cache']).toMatchObject({ phase: 'default', priority: 1 });
  });

  test('a config that is not an object is refused with the extension named, never a crash', async () => {
    for (const [name, ext] of Object.entries(SYSTEM_EXTENSIONS)) {
      expect(() => ext.definition.parseConfig!([] as never)).toThrow(`${name} config: (config): Invalid input: expected object, received array`);
    }
  });
});
