import { createHash } from 'crypto';
import { BundleLoadError, loadBundle } from '../../../src/dataplane/extensions/bundle';
import type { ExtensionBundleConfig } from '../../../src/specs';

/** A bundle of this CommonJS code, its digest right. */
function bundleOf(code: string, requires?: string[]): ExtensionBundleConfig {
  return { sha256: createHash('sha256').update(code, 'utf8').digest('hex'), code, ...(requires && { requires }) };
}

function loadError(bundle: ExtensionBundleConfig, name: string): BundleLoadError {
  try {
    loadBundle(bundle, name);
  } catch (e) {
    expect(e).toBeInstanceOf(BundleLoadError);
    return e as BundleLoadError;
  }
  throw new Error('expected loadBundle to fail, but it loaded');
}

describe('loadBundle', () => {
  test("a bundle's default export (as esbuild writes ES modules) is the extension, its hooks those of the module", () => {
    const code = [
      'Object.defineProperty(exports, "__esModule", { value: true });',
      'const { createHash } = require("node:crypto");',
      'exports.default = { name: "tagger", onResponse(ctx) { ctx.response.headers["x-tagger"] = createHash("sha256").update("on").digest("hex").slice(0, 4); } };',
    ].join('\n');
    const ext = loadBundle(bundleOf(code), 'tagger');
    expect(ext.name).toBe('tagger');
    const headers: Record<string, string> = {};
    void ext.onResponse!({ response: { headers } } as never);
    expect(headers).toEqual({ 'x-tagger': createHash('sha256').update('on').digest('hex').slice(0, 4) });
  });

  test('a module whose exports are the extension itself (CommonJS, no default) loads too', () => {
    expect(loadBundle(bundleOf('module.exports = { name: "plain", onLog() {} };'), 'plain').name).toBe('plain');
  });

  test('a package the bundle declares is required from the data plane; a subpath of it too', () => {
    const code = 'const YAML = require("yaml"); require("yaml/util"); module.exports = { name: "y", parseConfig: (c) => YAML.parse(YAML.stringify(c)) };';
    const ext = loadBundle(bundleOf(code, ['yaml']), 'y');
    expect(ext.parseConfig!({ a: 1 })).toEqual({ a: 1 });
  });

  test('each problem is a BundleLoadError naming the extension and what is wrong', () => {
    const good = bundleOf('module.exports = { name: "x" };');
    expect(loadError({ ...good, sha256: '0'.repeat(64) }, 'x').message).toBe(
      `custom extension 'x': its bundle's SHA-256 is ${good.sha256}, the config says ${'0'.repeat(64)}: the bundle was changed after synth. Synthesize the config again.`,
    );
    const thrown = loadError(bundleOf('throw new Error("no config file");'), 'x');
    expect(thrown.message).toBe("custom extension 'x': its module threw when loaded: no config file. Fix the module's top level.");
    expect((thrown.cause as Error).message).toBe('no config file');
    expect(loadError(bundleOf('throw "a string";'), 'x').reason).toBe("its module threw when loaded: a string. Fix the module's top level.");
    expect(loadError(good, 'y').message).toBe("custom extension 'y': its module defines the extension 'x', but the Extension's name is 'y'. Make the two names the same.");
    expect(loadError(bundleOf('module.exports = { default: 42 };'), 'x').reason).toMatch(
      /^its module's default export is not an extension \(found number\)\. Export it as: export default defineExtension\(\{ name: 'x', \.\.\. \}\)/,
    );
    expect(loadError(bundleOf('module.exports = null;'), 'x').reason).toMatch(/not an extension \(found null\)/);
    expect(loadError(bundleOf('module.exports = [];'), 'x').reason).toMatch(/not an extension \(found an array\)/);
    expect(loadError(bundleOf('module.exports = { onRequest() {} };'), 'x').reason).toMatch(/^its module's export has no string name \(found nothing\)/);
    expect(loadError(bundleOf('module.exports = { name: "x", onRequest: "yes" };'), 'x').reason).toBe("its onRequest must be a function, found string. Fix the module's onRequest.");
    expect(loadError(bundleOf('module.exports = {'), 'x').reason).toMatch(/^its bundle is not valid JavaScript \(Unexpected end of input\)/);
  });

  test('require gives only Node builtins and the declared packages: anything else throws naming it', () => {
    expect(loadError(bundleOf('require("zod"); module.exports = { name: "x" };'), 'x').message).toBe(
      "custom extension 'x': require('zod') is refused: it has no allowed modules. Add 'zod' to the Extension's allowedModules, " +
        'or let synth bundle it (import it, do not require it at run time).',
    );
    expect(loadError(bundleOf('require("yamlish"); module.exports = { name: "x" };', ['yaml']), 'x').reason).toMatch(/^require\('yamlish'\) is refused: its allowed modules are 'yaml'\./);
    // A refusal after load (a hook's own require) is the same error.
    const ext = loadBundle(bundleOf('module.exports = { name: "x", onLog() { require("./local"); } };'), 'x');
    expect(() => ext.onLog!({} as never)).toThrow("custom extension 'x': require('./local') is refused: it has no allowed modules.");
  });
});
