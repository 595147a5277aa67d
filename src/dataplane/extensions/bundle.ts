import { createHash } from 'crypto';
import { createRequire, isBuiltin } from 'module';
import { compileFunction } from 'vm';
import type { ExtensionDefinition } from '../../extensions';
import type { ExtensionBundleConfig } from '../../specs';

/** What a definition may carry besides its name: each a function when present. */
const FUNCTION_FIELDS = ['parseConfig', 'onRequest', 'onResponse', 'onStreamChunk', 'onStreamEnd', 'onLog', 'onToolCall', 'onToolResult', 'onAdmin'] as const;

/** A bundle that does not load: `reason` says what is wrong, the message also which extension. */
export class BundleLoadError extends Error {
  public constructor(
    public readonly extension: string,
    public readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`custom extension '${extension}': ${reason}`, options);
    this.name = 'BundleLoadError';
  }
}

/** The data plane's own `require` (not a caller's): allow-listed packages resolve from the gateway's node_modules. */
const dataPlaneRequire = createRequire(__filename);

/**
 * A custom extension's bundle, loaded: its digest checked, its CommonJS code run in this process (the same
 * privileges as the gateway: no sandbox), its export checked to be the extension the config names. Every
 * problem is an Error naming the extension and what is wrong, so that the config that carries it is refused
 * as a bad config is (a reload keeps the last good one).
 */
export function loadBundle(bundle: ExtensionBundleConfig, expectedName: string): ExtensionDefinition {
  const digest = createHash('sha256').update(bundle.code, 'utf8').digest('hex');
  if (digest !== bundle.sha256) {
    throw new BundleLoadError(expectedName, `its bundle's SHA-256 is ${digest}, the config says ${bundle.sha256}: the bundle was changed after synth. Synthesize the config again.`);
  }
  const exported = run(bundle, expectedName);
  const definition = (exported as { default?: unknown } | null)?.default ?? exported;
  checkDefinition(definition, expectedName);
  return definition;
}

/** Runs the code as Node runs a CommonJS file, and returns its `module.exports`. */
function run(bundle: ExtensionBundleConfig, name: string): unknown {
  const filename = `aigw-extension:${name}`;
  const module = { exports: {} as unknown };
  let body: (...args: unknown[]) => unknown;
  try {
    body = compileFunction(bundle.code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename }) as typeof body;
  } catch (e) {
    throw new BundleLoadError(name, `its bundle is not valid JavaScript (${(e as Error).message}). Synthesize the config again.`, { cause: e });
  }
  try {
    body.call(module.exports, module.exports, requireFor(bundle, name), module, filename, '.');
  } catch (e) {
    // A refused require is already said as it is.
    if (e instanceof BundleLoadError) throw e;
    throw new BundleLoadError(name, `its module threw when loaded: ${(e as Error)?.message ?? String(e)}. Fix the module's top level.`, { cause: e });
  }
  return module.exports;
}

/** Node's builtins and the packages the bundle declares (the construct's allow-list), nothing else. */
function requireFor(bundle: ExtensionBundleConfig, name: string): (id: string) => unknown {
  const declared = bundle.requires ?? [];
  return (id: string) => {
    if (typeof id !== 'string') throw new BundleLoadError(name, `require() takes a module name, found ${typeof id}.`);
    if (isBuiltin(id)) return dataPlaneRequire(id);
    if (declared.some((m) => id === m || id.startsWith(`${m}/`))) return dataPlaneRequire(id);
    const listed = declared.length > 0 ? `its allowed modules are ${declared.map((m) => `'${m}'`).join(', ')}` : 'it has no allowed modules';
    throw new BundleLoadError(name, `require('${id}') is refused: ${listed}. Add '${id}' to the Extension's allowedModules, or let synth bundle it (import it, do not require it at run time).`);
  };
}

function checkDefinition(definition: unknown, name: string): asserts definition is ExtensionDefinition {
  const fix = `Export it as: export default defineExtension({ name: '${name}', ... }), defineExtension from 'cdktf-ai-gateway/extensions'.`;
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    const found = definition === null ? 'null' : Array.isArray(definition) ? 'an array' : typeof definition;
    throw new BundleLoadError(name, `its module's default export is not an extension (found ${found}). ${fix}`);
  }
  const d = definition as Record<string, unknown>;
  if (typeof d.name !== 'string') {
    throw new BundleLoadError(name, `its module's export has no string name (found ${d.name === undefined ? 'nothing' : typeof d.name}). ${fix}`);
  }
  if (d.name !== name) {
    throw new BundleLoadError(name, `its module defines the extension '${d.name}', but the Extension's name is '${name}'. Make the two names the same.`);
  }
  for (const field of FUNCTION_FIELDS) {
    if (d[field] !== undefined && typeof d[field] !== 'function') {
      throw new BundleLoadError(name, `its ${field} must be a function, found ${d[field] === null ? 'null' : typeof d[field]}. Fix the module's ${field}.`);
    }
  }
}
