import { createHash } from 'crypto';
import { existsSync, statSync } from 'fs';
import { isBuiltin } from 'module';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'path';
import { buildSync, type BuildFailure, type Message, type Metafile } from 'esbuild';
import { type ExtensionBundleConfig, MAX_EXTENSION_BUNDLE_BYTES } from '../specs';

/** The files a custom extension's module may be: TypeScript or JavaScript, CommonJS or ES modules. */
export const EXTENSION_MODULE_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.js', '.mjs'];

/** The hook API an extension imports. */
const EXTENSIONS_ENTRY_NAME = 'cdktf-ai-gateway/extensions';

/**
 * This package's own extension API, bundled into every custom extension: compiled (`lib/`) when the package is
 * installed, the source when it runs from this repo (tests). Found from this file, never through the app's
 * node_modules, so that an app whose `node_modules/cdktf-ai-gateway` is a symlink (or absent) bundles it too.
 */
const EXTENSIONS_ENTRY = ['index.js', 'index.ts'].map((f) => join(__dirname, '..', 'extensions', f)).find((f) => existsSync(f));

export type BundleResult =
  | { readonly ok: true; readonly bundle: ExtensionBundleConfig; readonly bytes: number }
  /** Each problem a sentence (or a few) naming the value, the limit and the fix, without the extension's name. */
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Bundles a custom extension's module into one self-contained CommonJS file for the data plane: its relative
 * imports and the hook API bundled in, Node's builtins left to `require`, and any other package refused unless
 * `allowedModules` names it (then required at run time, from the gateway's own node_modules). Synchronous
 * (constructs render synchronously), so no esbuild plugins: every package is left external, and the metafile
 * says which ones the module imports.
 */
export function bundleExtension(modulePath: string, allowedModules: readonly string[]): BundleResult {
  const path = resolve(modulePath);
  const ext = extname(path);
  if (!EXTENSION_MODULE_EXTENSIONS.includes(ext)) {
    return fail(`modulePath '${modulePath}' is not a module this can bundle (${ext ? `a '${ext}' file` : 'no file extension'}): a custom extension is a ${EXTENSION_MODULE_EXTENSIONS.join(', ')} file. Point modulePath at one.`);
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    return fail(`modulePath '${modulePath}' (${path}) is not a file. Fix the path (relative paths are from the working directory).`);
  }
  if (!EXTENSIONS_ENTRY) return fail(`this installation of cdktf-ai-gateway has no extensions entry next to ${__dirname}. Reinstall cdktf-ai-gateway.`);

  let output: { code: string; metafile: Metafile };
  try {
    const result = buildSync({
      entryPoints: [path],
      // Paths in the bundle's comments are from the module's folder: the same module gives the same bundle from any working directory.
      absWorkingDir: dirname(path),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      alias: { [EXTENSIONS_ENTRY_NAME]: EXTENSIONS_ENTRY },
      metafile: true,
      logLevel: 'silent',
    });
    output = { code: result.outputFiles[0].text, metafile: result.metafile };
  } catch (e) {
    const errors = (e as Partial<BuildFailure>).errors;
    if (!errors?.length) return fail(`modulePath '${modulePath}' could not be bundled (${(e as Error).message}). Fix the module.`);
    return { ok: false, problems: errors.map((m) => `modulePath '${modulePath}' could not be bundled: ${located(m, dirname(path))}. Fix the module.`) };
  }

  const { requires, refused } = packagesOf(output.metafile, allowedModules, dirname(path));
  if (refused.length > 0) {
    return {
      ok: false,
      problems: refused.map(({ name, importer }) => refusal(modulePath, name, importer, allowedModules)),
    };
  }
  const bytes = Buffer.byteLength(output.code, 'utf8');
  if (bytes > MAX_EXTENSION_BUNDLE_BYTES) {
    return fail(
      `the bundle of modulePath '${modulePath}' is ${bytes} bytes (${mib(bytes)} MiB), over the limit of ${MAX_EXTENSION_BUNDLE_BYTES} bytes (1 MiB) per custom extension. ` +
        'Make the module and what it imports smaller (everything it imports is bundled in).',
    );
  }
  const sha256 = createHash('sha256').update(output.code, 'utf8').digest('hex');
  return { ok: true, bytes, bundle: { sha256, code: output.code, ...(requires.length > 0 && { requires }) } };
}

/**
 * The packages the bundle imports (left external): the allowed ones it will `require` at run time (as
 * allowedModules names them), and the refused ones with the file that imports each.
 */
interface Refused {
  readonly name: string;
  readonly importer: string;
}

function packagesOf(metafile: Metafile, allowedModules: readonly string[], base: string): { requires: string[]; refused: Refused[] } {
  const requires = new Set<string>();
  const refused = new Map<string, Refused>();
  for (const [importer, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      if (!imported.external || isBuiltin(imported.path)) continue;
      const allowed = allowedModules.find((m) => imported.path === m || imported.path.startsWith(`${m}/`));
      if (allowed !== undefined) requires.add(allowed);
      else if (!refused.has(imported.path)) refused.set(imported.path, { name: imported.path, importer: shownPath(base, importer) });
    }
  }
  return { requires: [...requires].sort(), refused: [...refused.values()] };
}

function refusal(modulePath: string, name: string, importer: string, allowedModules: readonly string[]): string {
  const where = `'${name}' (imported by ${importer}, from modulePath '${modulePath}')`;
  if (name === 'cdktf-ai-gateway' || name.startsWith('cdktf-ai-gateway/')) {
    return `${where} is not available to an extension: the data plane runs only the hook API. Import it from '${EXTENSIONS_ENTRY_NAME}' (types from elsewhere: import type).`;
  }
  const allowed = allowedModules.length > 0 ? `allowedModules is ${JSON.stringify(allowedModules)}` : 'allowedModules is empty';
  return (
    `${where} is a package the bundle would require at run time, and ${allowed}. ` +
    `Add '${packageName(name)}' to the Extension's allowedModules if the gateway's image has it (cdktf-ai-gateway's own dependencies), ` +
    'or import a relative file instead (relative imports are bundled in).'
  );
}

/** `zod/v4` → `zod`, `@scope/pkg/sub` → `@scope/pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** An esbuild message with the place it points at, its file as a path from the working directory. */
function located(m: Message, base: string): string {
  if (!m.location) return m.text;
  return `${shownPath(base, m.location.file)}:${m.location.line}:${m.location.column + 1}: ${m.text}`;
}

/** A path esbuild gave (from the module's folder) as a path from the working directory, or absolute when outside it. */
function shownPath(base: string, file: string): string {
  const path = resolve(base, file);
  const fromCwd = relative(process.cwd(), path);
  return fromCwd && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : path;
}

function fail(problem: string): BundleResult {
  return { ok: false, problems: [problem] };
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(2);
}
