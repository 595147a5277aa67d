import { formatConfigIssues, type GatewayConfig, GatewayConfigSchema } from './config';

/** Containers nested deeper than this are reported instead of validated: the schema recurses, and the stack is finite. */
export const MAX_CONFIG_NESTING = 256;

/**
 * GatewayConfig's strict parse, for a config that is loaded (not synthesized here): every problem
 * names its field, the value found and the reason, and nothing the input holds makes it throw
 * (a value nested thousands of levels deep overflows the schema's recursion; it is reported, with
 * its path, like any other bad value).
 */
export function checkGatewayConfig(input: unknown): { ok: true; config: GatewayConfig } | { ok: false; issues: string[] } {
  const deep = pathNestedDeeperThan(input, MAX_CONFIG_NESTING);
  if (deep) return { ok: false, issues: [`${formatPath(deep.slice(0, 8))}${deep.length > 8 ? '…' : ''}: nested more than ${MAX_CONFIG_NESTING} levels deep`] };
  let result: ReturnType<typeof GatewayConfigSchema.safeParse>;
  try {
    result = GatewayConfigSchema.safeParse(input);
  } catch (e) {
    return { ok: false, issues: [`(root): the config could not be checked (${(e as Error).message})`] };
  }
  if (result.success) return { ok: true, config: result.data };
  const lines = formatConfigIssues(result.error);
  return { ok: false, issues: result.error.issues.map((issue, i) => `${lines[i]}, found ${shown(valueAt(input, issue.path))}`) };
}

/** A value as a message shows it: JSON, cut short so that one huge value cannot swamp a log line. */
function shown(value: unknown): string {
  const json = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
}

function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '') || '(root)';
}

/** The path of the first container more than `limit` levels deep, found without recursion; undefined if none. */
function pathNestedDeeperThan(input: unknown, limit: number): (string | number)[] | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  // Each container links to its parent rather than carrying its own copy of the path: a 10,000-route
  // config has some 300,000 containers, and the path is only spelled out for the one reported.
  const stack: Nesting[] = [{ value: input, depth: 0, key: '', parent: undefined }];
  while (stack.length > 0) {
    const nesting = stack.pop()!;
    if (nesting.depth > limit) return pathOf(nesting);
    const value = nesting.value as Record<string, unknown> | unknown[];
    const depth = nesting.depth + 1;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child = value[i];
        if (child !== null && typeof child === 'object') stack.push({ value: child, depth, key: i, parent: nesting });
      }
    } else {
      for (const key of Object.keys(value)) {
        const child = value[key];
        if (child !== null && typeof child === 'object') stack.push({ value: child, depth, key, parent: nesting });
      }
    }
  }
  return undefined;
}

interface Nesting {
  readonly value: object;
  readonly depth: number;
  readonly key: string | number;
  readonly parent: Nesting | undefined;
}

function pathOf(nesting: Nesting): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Nesting | undefined = nesting; n?.parent; n = n.parent) path.push(n.key);
  return path.reverse();
}
