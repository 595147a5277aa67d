import { createHash } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { configOf, fleetStack, openAi, synth, synthError } from './fixtures';
import type { AiGateway, ExtensionOptions } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { loadBundle } from '../../src/dataplane/extensions/bundle';
import { MAX_EXTENSION_BUNDLE_BYTES } from '../../src/specs';
import { tempDirs } from '../support/temp-dirs';

const tempDir = tempDirs();

/** The contract module, as a user writes it (TypeScript), with a relative import of a helper of its own. */
const TAGGER_TS = `
import { defineExtension } from 'cdktf-ai-gateway/extensions';
import { TAG } from './tag';
export default defineExtension({
  name: 'tagger',
  onRequest(ctx) { if (ctx.request.headers['x-block'] === '1') return ctx.respond(403, { error: { message: 'blocked by tagger' } }); },
  onResponse(ctx) { ctx.response.headers['x-tagger'] = TAG; },
});
`;

/** A folder with these files. */
function moduleDir(files: Record<string, string>): string {
  const dir = tempDir('aigw-ext-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A Dedicated gateway with a route and these extensions. */
function gatewayWith(extensions: Record<string, ExtensionOptions<'dedicated'>>) {
  const { stack, fleet } = fleetStack();
  const g = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
  g.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
  const added = Object.entries(extensions).map(([id, options]) => g.addExtension(id, options));
  return { stack, g: g as AiGateway, added };
}

describe('custom extensions bundled at synth', () => {
  test("a TypeScript module importing the hook API and a file of its own: one bundle in the config, its sha256 its code's, loading as the data plane loads it", () => {
    const dir = moduleDir({ 'tagger.ts': TAGGER_TS, 'tag.ts': "export const TAG = 'on';\n" });
    const { stack } = gatewayWith({ tagger: { name: 'tagger', source: 'custom', modulePath: join(dir, 'tagger.ts'), failPolicy: 'open' } });
    const [entry] = configOf(synth(stack), 'd').extensions;
    expect(entry).toEqual({
      name: 'tagger',
      source: 'custom',
      bundle: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), code: expect.any(String) },
      phase: 'default',
      priority: 100,
      failPolicy: 'open',
      enabled: true,
      config: {},
    });
    const { sha256, code } = entry.bundle!;
    expect(sha256).toBe(createHash('sha256').update(code, 'utf8').digest('hex'));
    // Self-contained: the helper and the hook API are in it, and it requires nothing.
    expect(code).toContain('var TAG = "on"');
    expect(code).toContain('function defineExtension(');
    expect(code).not.toMatch(/require\(/);

    const ext = loadBundle(entry.bundle!, 'tagger');
    const headers: Record<string, string> = {};
    void ext.onResponse!({ response: { headers } } as never);
    expect(headers).toEqual({ 'x-tagger': 'on' });
    const respond = jest.fn((status: number) => ({ status }));
    expect(ext.onRequest!({ request: { headers: { 'x-block': '1' } }, respond } as never)).toEqual({ status: 403 });
    expect(respond).toHaveBeenCalledWith(403, { error: { message: 'blocked by tagger' } });
  });

  test('a relative modulePath is from the working directory; the same module bundles the same from anywhere, and each synth bundles it anew', () => {
    const dir = moduleDir({ 'tagger.ts': TAGGER_TS, 'tag.ts': "export const TAG = 'on';\n" });
    const first = gatewayWith({ tagger: { name: 'tagger', source: 'custom', modulePath: relative(process.cwd(), join(dir, 'tagger.ts')) } });
    const second = gatewayWith({ tagger: { name: 'tagger', source: 'custom', modulePath: join(dir, 'tagger.ts') } });
    const before = synthesizedGatewayConfig(first.g).config.extensions[0].bundle!;
    expect(synthesizedGatewayConfig(second.g).config.extensions[0].bundle).toEqual(before);

    // What startTestGateway runs: synthesizedGatewayConfig of a new App sees the module as it is now.
    writeFileSync(join(dir, 'tag.ts'), "export const TAG = 'changed';\n");
    const third = gatewayWith({ tagger: { name: 'tagger', source: 'custom', modulePath: join(dir, 'tagger.ts') } });
    const after = synthesizedGatewayConfig(third.g).config.extensions[0].bundle!;
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.code).toContain('"changed"');
  });

  test('JavaScript modules (CommonJS and ES) bundle too; Node builtins stay required; an allowed package is required at run time and listed', () => {
    const dir = moduleDir({
      'cjs.js': "const { defineExtension } = require('cdktf-ai-gateway/extensions');\nconst os = require('os');\nmodule.exports = defineExtension({ name: 'cjs', onLog(ctx) { ctx.fields.eol = os.EOL.length; } });\n",
      'esm.mjs': "import { createHash } from 'node:crypto';\nimport YAML from 'yaml';\nexport default { name: 'esm', onLog(ctx) { ctx.fields.h = createHash('md5').update(YAML.stringify(1)).digest('hex'); } };\n",
    });
    const { stack } = gatewayWith({
      cjs: { name: 'cjs', source: 'custom', modulePath: join(dir, 'cjs.js') },
      esm: { name: 'esm', source: 'custom', modulePath: join(dir, 'esm.mjs'), allowedModules: ['yaml'] },
    });
    const [cjs, esm] = configOf(synth(stack), 'd').extensions;
    expect(cjs.bundle!.requires).toBeUndefined();
    expect(cjs.bundle!.code).toContain('require("os")');
    expect(esm.bundle!.requires).toEqual(['yaml']);
    expect(esm.bundle!.code).toContain('require("yaml")');
    expect(esm.bundle!.code).toContain('require("node:crypto")');
    const fields: Record<string, string> = {};
    loadBundle(esm.bundle!, 'esm').onLog!({ fields } as never);
    expect(fields.h).toMatch(/^[0-9a-f]{32}$/);
  });

  test('a package not in allowedModules, or the construct library, fails synth naming the package, the file importing it and the fix', () => {
    const dir = moduleDir({
      'ext.ts': "import leftPad from 'left-pad';\nimport { helper } from './lib/helper';\nexport default { name: 'ext', onLog() { leftPad(helper()); } };\n",
      'lib/helper.ts': "import { z } from 'zod/v4';\nexport const helper = () => String(z);\n",
      'lib.ts': "import { AiGateway } from 'cdktf-ai-gateway';\nexport default { name: 'lib', onLog() { return AiGateway; } };\n",
    });
    const { stack, added } = gatewayWith({
      ext: { name: 'ext', source: 'custom', modulePath: join(dir, 'ext.ts'), allowedModules: ['yaml'] },
      lib: { name: 'lib', source: 'custom', modulePath: join(dir, 'lib.ts') },
    });
    const message = synthError(stack);
    const shown = (f: string) => shownPath(join(dir, f));
    expect(message).toContain(
      `[extension-bundles] Extension 'ext' (${added[0].node.path}): 'left-pad' (imported by ${shown('ext.ts')}, from modulePath '${join(dir, 'ext.ts')}') ` +
        'is a package the bundle would require at run time, and allowedModules is ["yaml"]. ' +
        "Add 'left-pad' to the Extension's allowedModules if the gateway's image has it (cdktf-ai-gateway's own dependencies), or import a relative file instead (relative imports are bundled in).",
    );
    expect(message).toContain(`'zod/v4' (imported by ${shown('lib/helper.ts')}, from modulePath '${join(dir, 'ext.ts')}') is a package`);
    expect(message).toContain("Add 'zod' to the Extension's allowedModules");
    expect(message).toContain(
      `Extension 'lib' (${added[1].node.path}): 'cdktf-ai-gateway' (imported by ${shown('lib.ts')}, from modulePath '${join(dir, 'lib.ts')}') is not available to an extension: ` +
        "the data plane runs only the hook API. Import it from 'cdktf-ai-gateway/extensions' (types from elsewhere: import type).",
    );
  });

  test('a missing import, a syntax error, a file that is no module, a bundle over 1 MiB: each fails synth saying where and the limit', () => {
    const big = 'x'.repeat(MAX_EXTENSION_BUNDLE_BYTES);
    const dir = moduleDir({
      'missing.ts': "import { gone } from './gone';\nexport default { name: 'missing', onLog() { gone(); } };\n",
      'broken.ts': "export default { name: 'broken',\n",
      'ext.wasm': '',
      'big.js': `module.exports = { name: 'big', text: '${big}' };\n`,
    });
    const { stack, added } = gatewayWith({
      missing: { name: 'missing', source: 'custom', modulePath: join(dir, 'missing.ts') },
      broken: { name: 'broken', source: 'custom', modulePath: join(dir, 'broken.ts') },
      wasm: { name: 'wasm', source: 'custom', modulePath: join(dir, 'ext.wasm') },
      big: { name: 'big', source: 'custom', modulePath: join(dir, 'big.js') },
    });
    const message = synthError(stack);
    const at = (i: number) => `Extension '${['missing', 'broken', 'wasm', 'big'][i]}' (${added[i].node.path})`;
    const shown = (f: string) => shownPath(join(dir, f));
    expect(message).toContain(`${at(0)}: modulePath '${join(dir, 'missing.ts')}' could not be bundled: ${shown('missing.ts')}:1:22: Could not resolve "./gone". Fix the module.`);
    expect(message).toContain(`${at(1)}: modulePath '${join(dir, 'broken.ts')}' could not be bundled: ${shown('broken.ts')}:2:1: Expected identifier but found end of file. Fix the module.`);
    expect(message).toContain(
      `${at(2)}: modulePath '${join(dir, 'ext.wasm')}' is not a module this can bundle (a '.wasm' file): a custom extension is a .ts, .mts, .js, .mjs file. Point modulePath at one.`,
    );
    expect(message).toMatch(
      new RegExp(`${escape(at(3))}: the bundle of modulePath '${escape(join(dir, 'big.js'))}' is \\d+ bytes \\(1\\.00 MiB\\), over the limit of 1048576 bytes \\(1 MiB\\) per custom extension\\.`),
    );
  });

  test('a module that throws when loaded, or exports another name or no extension, fails synth as the data plane would refuse it', () => {
    const dir = moduleDir({
      'throws.js': "throw new Error('needs a config file');\n",
      'other.ts': "import { defineExtension } from 'cdktf-ai-gateway/extensions';\nexport default defineExtension({ name: 'other' });\n",
      'nothing.ts': 'export const x = 1;\n',
    });
    const { stack, added } = gatewayWith({
      throws: { name: 'throws', source: 'custom', modulePath: join(dir, 'throws.js') },
      named: { name: 'named', source: 'custom', modulePath: join(dir, 'other.ts') },
      nothing: { name: 'nothing', source: 'custom', modulePath: join(dir, 'nothing.ts') },
    });
    const message = synthError(stack);
    expect(message).toContain(
      `Extension 'throws' (${added[0].node.path}): modulePath '${join(dir, 'throws.js')}' does not load as the gateway will load it: its module threw when loaded: needs a config file. Fix the module's top level.`,
    );
    expect(message).toContain(
      `Extension 'named' (${added[1].node.path}): modulePath '${join(dir, 'other.ts')}' does not load as the gateway will load it: ` +
        "its module defines the extension 'other', but the Extension's name is 'named'. Make the two names the same.",
    );
    expect(message).toContain(`Extension 'nothing' (${added[2].node.path}): modulePath '${join(dir, 'nothing.ts')}' does not load as the gateway will load it: its module's export has no string name`);
  });

  test('allowedModules that is not a list of package names is an error naming it', () => {
    const dir = moduleDir({ 'ok.js': "module.exports = { name: 'ok' };\n" });
    const { stack, added } = gatewayWith({
      ok: { name: 'ok', source: 'custom', modulePath: join(dir, 'ok.js'), allowedModules: 'yaml' as never },
      rel: { name: 'ok', source: 'custom', modulePath: join(dir, 'ok.js'), allowedModules: ['yaml', './local'] },
    });
    const message = synthError(stack);
    expect(message).toContain(`Extension 'ok' (${added[0].node.path}): allowedModules must be a list of package names ('yaml', '@scope/name'), found "yaml". Fix allowedModules.`);
    expect(message).toContain(`Extension 'ok' (${added[1].node.path}): allowedModules must be a list of package names ('yaml', '@scope/name'), found ["yaml","./local"].`);
  });
});

/** A file as messages show it: from the working directory, or absolute when outside it (the temp folders are). */
function shownPath(path: string): string {
  const fromCwd = relative(process.cwd(), path);
  return fromCwd.startsWith('..') ? path : fromCwd;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
