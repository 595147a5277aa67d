import { z } from 'zod';
import { minimalConfig } from './fixtures';
import { type GatewayConfig, GatewayConfigSchema, formatConfigIssues, parseGatewayConfig } from '../../src/specs/config';

/** A deep copy that may be broken on purpose (the result is no longer typed as a valid config). */
function mutable(config: GatewayConfig = minimalConfig()): any {
  return JSON.parse(JSON.stringify(config));
}

function issuesOf(input: unknown): string[] {
  const result = GatewayConfigSchema.safeParse(input);
  if (result.success) throw new Error('expected the config to be rejected');
  return formatConfigIssues(result.error);
}

// ---------------------------------------------------------------- the fixture

describe('minimalConfig', () => {
  test('is accepted by GatewayConfigSchema.parse, unchanged', () => {
    const config = minimalConfig();
    expect(GatewayConfigSchema.parse(config)).toEqual(config);
    expect(parseGatewayConfig(config)).toEqual({ ok: true, config });
  });

  test('covers every top-level field, optional ones included', () => {
    expect(Object.keys(minimalConfig()).sort()).toEqual(Object.keys(GatewayConfigSchema.shape).sort());
  });

  test('covers each MCP server kind, upstream service kind and service source kind', () => {
    const config = minimalConfig();
    expect(config.mcpServers.map((m) => m.kind).sort()).toEqual(['http-to-mcp', 'proxy']);
    expect(config.services.map((s) => s.kind).sort()).toEqual(['dns', 'kubernetes', 'static']);
    expect(config.serviceSources.map((s) => s.kind).sort()).toEqual(['in-cluster', 'kubeconfig']);
    expect(config.modelRoutes[0].models[0].fallbacks).not.toHaveLength(0);
    expect(config.consumers).toHaveLength(1);
    expect(config.agentRoutes).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- strictness at parse time

describe('strict parsing', () => {
  test('an unknown key at the root is rejected', () => {
    const input = { ...mutable(), extra: true };
    expect(issuesOf(input)).toEqual([expect.stringMatching(/^\(root\): .*extra/)]);
  });

  test('an unknown key in a backend is rejected', () => {
    const input = mutable();
    input.backends[0].organization = 'org-1';
    expect(issuesOf(input)).toEqual([expect.stringMatching(/^backends\[0\]: .*organization/)]);
  });

  test('an unknown key deep inside an MCP tool is rejected', () => {
    const input = mutable();
    input.mcpServers[1].tools[0].request.timeoutMs = 5;
    expect(issuesOf(input)).toEqual([expect.stringMatching(/^mcpServers\[1\]\.tools\[0\]\.request: .*timeoutMs/)]);
  });

  test.each([
    ['backends[0].apiKey', (c: any) => (c.backends[0].apiKey = 'sk-live-1234567890')],
    ['consumers[0].apiKey', (c: any) => (c.consumers[0].apiKey = 'ck-1234')],
    ['agentRoutes[0].upstream.apiKey', (c: any) => (c.agentRoutes[0].upstream.apiKey = 'sk-abc')],
    ['mcpServers[0].upstream.auth', (c: any) => (c.mcpServers[0].upstream.auth = 'ghp_token')],
    ['mcpServers[1].upstream.auth.secret', (c: any) => (c.mcpServers[1].upstream.auth.secret = 'token')],
    ['redis.password', (c: any) => (c.redis.password = 'hunter2')],
    ['serviceSources[1].kubeconfig', (c: any) => (c.serviceSources[1].kubeconfig = 'apiVersion: v1\nkind: Config')],
    ['domains[0].tls.privateKey', (c: any) => (c.domains[0].tls.privateKey = '-----BEGIN PRIVATE KEY-----')],
  ])('an inline secret at %s is rejected (only a SecretRef is allowed)', (path, breakIt) => {
    const input = mutable();
    breakIt(input);
    const issues = issuesOf(input);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((line) => line.startsWith(`${path}: `))).toBe(true);
  });

  test('a SecretRef with extra fields (e.g. an inline value next to it) is rejected', () => {
    const input = mutable();
    input.backends[0].apiKey.value = 'sk-live-123';
    expect(issuesOf(input)).toEqual([expect.stringMatching(/^backends\[0\]\.apiKey: .*value/)]);
  });
});

// ---------------------------------------------------------------- no any / unknown / passthrough, anywhere

/** Schema node types that hold no other schema and accept only what they describe. */
const LEAF_TYPES = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'symbol',
  'null',
  'undefined',
  'void',
  'never',
  'nan',
  'date',
  'enum',
  'literal',
  'template_literal',
  'file',
]);

/** Wrappers with a single `innerType`. */
const WRAPPER_TYPES = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'success', 'catch', 'readonly', 'promise']);

interface WalkResult {
  /** One line per offending node: `path: why`. */
  readonly problems: string[];
  /** Paths of every object node visited (to check the walker really went everywhere). */
  readonly objectPaths: string[];
}

/**
 * Walks a zod 4 schema through its internals (`schema._zod.def`) and reports every node that lets
 * arbitrary data through: `any`, `unknown`, `custom`, a non-strict object (catchall not `never`:
 * `z.object` strips, `z.looseObject`/`.passthrough()` keep unknown keys) or a loose record.
 * Lazy schemas (e.g. `z.json()`) are followed until they recur, thanks to the set of schemas being visited;
 * a schema shared by several fields (e.g. the SecretRef) is checked under each of its paths. A node type the walker
 * does not know is a problem too, so it can never skip a branch silently.
 */
function findLooseNodes(root: z.core.$ZodType): WalkResult {
  const problems: string[] = [];
  const objectPaths: string[] = [];
  /** The schemas on the current path from the root: a schema met again inside itself is a cycle (z.json, z.lazy). */
  const visiting = new Set<z.core.$ZodType>();

  const walk = (schema: z.core.$ZodType, path: string): void => {
    if (visiting.has(schema)) return;
    visiting.add(schema);
    try {
      visit(schema, path);
    } finally {
      visiting.delete(schema);
    }
  };

  const visit = (schema: z.core.$ZodType, path: string): void => {
    const def = schema._zod.def;
    const type = def.type;
    if (LEAF_TYPES.has(type)) return;
    if (WRAPPER_TYPES.has(type)) {
      walk((def as z.core.$ZodOptionalDef).innerType, path);
      return;
    }
    switch (type) {
      case 'any':
      case 'unknown':
      case 'custom':
        problems.push(`${path}: ${type}`);
        return;
      case 'object': {
        const d = def as z.core.$ZodObjectDef;
        objectPaths.push(path);
        const catchall = d.catchall?._zod.def.type;
        if (catchall !== 'never') problems.push(`${path}: object is not strict (catchall: ${catchall ?? 'none, unknown keys are stripped'})`);
        for (const [key, value] of Object.entries(d.shape)) walk(value, `${path}.${key}`);
        return;
      }
      case 'array':
        walk((def as z.core.$ZodArrayDef).element, `${path}[]`);
        return;
      case 'record': {
        const d = def as z.core.$ZodRecordDef;
        if (d.mode === 'loose') problems.push(`${path}: loose record`);
        walk(d.keyType, `${path}{key}`);
        walk(d.valueType, `${path}{}`);
        return;
      }
      case 'map':
        walk((def as z.core.$ZodMapDef).keyType, `${path}{key}`);
        walk((def as z.core.$ZodMapDef).valueType, `${path}{}`);
        return;
      case 'set':
        walk((def as z.core.$ZodSetDef).valueType, `${path}{}`);
        return;
      case 'union':
        (def as z.core.$ZodUnionDef).options.forEach((option, i) => walk(option, `${path}|${i}`));
        return;
      case 'intersection':
        walk((def as z.core.$ZodIntersectionDef).left, `${path}&0`);
        walk((def as z.core.$ZodIntersectionDef).right, `${path}&1`);
        return;
      case 'tuple': {
        const d = def as z.core.$ZodTupleDef;
        d.items.forEach((item, i) => walk(item, `${path}[${i}]`));
        if (d.rest) walk(d.rest, `${path}[...]`);
        return;
      }
      case 'pipe': {
        // `schema.transform(fn)` is a pipe into a transform: the transform only sees what `in` accepted.
        const d = def as z.core.$ZodPipeDef;
        walk(d.in, path);
        if (d.out._zod.def.type !== 'transform') walk(d.out, path);
        return;
      }
      case 'transform':
        // Standalone, or as the `in` of a pipe (`z.preprocess`): it takes any input.
        problems.push(`${path}: transform (accepts any input)`);
        return;
      case 'lazy':
        walk((schema as z.core.$ZodLazy)._zod.innerType, path);
        return;
      default:
        problems.push(`${path}: node type "${type}" is not handled by the walker`);
    }
  };

  walk(root, '$');
  return { problems, objectPaths };
}

describe('no field is any, unknown or passthrough', () => {
  test('the walker flags what it must (self-test)', () => {
    expect(findLooseNodes(z.strictObject({ a: z.any() })).problems).toEqual(['$.a: any']);
    expect(findLooseNodes(z.strictObject({ a: z.unknown() })).problems).toEqual(['$.a: unknown']);
    expect(findLooseNodes(z.object({})).problems).toEqual(['$: object is not strict (catchall: none, unknown keys are stripped)']);
    expect(findLooseNodes(z.looseObject({})).problems).toEqual(['$: object is not strict (catchall: unknown)']);
    expect(findLooseNodes(z.strictObject({}).passthrough()).problems).toEqual(['$: object is not strict (catchall: unknown)']);
    expect(findLooseNodes(z.strictObject({}).catchall(z.string())).problems).toEqual(['$: object is not strict (catchall: string)']);
    expect(findLooseNodes(z.object({}).strict()).problems).toEqual([]);
    expect(findLooseNodes(z.strictObject({ a: z.custom<string>() })).problems).toEqual(['$.a: custom']);
    expect(findLooseNodes(z.strictObject({ a: z.looseRecord(z.string().regex(/^x/), z.string()) })).problems).toEqual(['$.a: loose record']);
  });

  test('the walker finds loose nodes however deep (self-test)', () => {
    const deep = z.strictObject({
      list: z.array(
        z.discriminatedUnion('kind', [
          z.strictObject({ kind: z.literal('a') }),
          z.strictObject({ kind: z.literal('b'), inner: z.strictObject({ x: z.record(z.string(), z.any()).optional() }) }),
        ]),
      ),
      later: z.lazy(() => z.strictObject({ y: z.unknown().nullable() })),
      piped: z.string().transform((s) => s.length).pipe(z.number()),
      preprocessed: z.preprocess((v) => v, z.string()),
      tuple: z.tuple([z.string()], z.object({})),
    });
    expect(findLooseNodes(deep).problems.sort()).toEqual(
      [
        '$.list[]|1.inner.x{}: any',
        '$.later.y: unknown',
        '$.preprocessed: transform (accepts any input)',
        '$.tuple[...]: object is not strict (catchall: none, unknown keys are stripped)',
      ].sort(),
    );
  });

  test('z.json() (free-form JSON: a lazy union of primitives, arrays and records) is not flagged, and the walk terminates', () => {
    const { problems } = findLooseNodes(z.strictObject({ config: z.record(z.string(), z.json()), doc: z.json() }));
    expect(problems).toEqual([]);
  });

  test('adding z.any() or a non-strict object to GatewayConfigSchema would fail the check', () => {
    expect(findLooseNodes(GatewayConfigSchema.extend({ debug: z.any() })).problems).toEqual(['$.debug: any']);
    expect(findLooseNodes(GatewayConfigSchema.extend({ extra: z.array(z.object({ a: z.string() })).optional() })).problems).toEqual([
      '$.extra[]: object is not strict (catchall: none, unknown keys are stripped)',
    ]);
    expect(findLooseNodes(GatewayConfigSchema.passthrough()).problems).toEqual(['$: object is not strict (catchall: unknown)']);
  });

  test('GatewayConfigSchema has no loose node', () => {
    const { problems } = findLooseNodes(GatewayConfigSchema);
    expect(problems).toEqual([]);
  });

  test('the walk over GatewayConfigSchema reaches the deep objects', () => {
    const { objectPaths } = findLooseNodes(GatewayConfigSchema);
    expect(objectPaths).toEqual(
      expect.arrayContaining([
        '$',
        '$.metadata',
        '$.backends[].apiKey',
        '$.backends[].azure',
        '$.services[]|2',
        '$.serviceSources[]|1.kubeconfig',
        '$.modelRoutes[].models[].targets[]',
        '$.modelRoutes[].policies.cors',
        '$.agentRoutes[].upstream',
        '$.consumers[].grants',
        '$.mcpServers[]|0.upstream',
        '$.mcpServers[]|1.tools[].request',
        '$.mcpServers[]|1.upstream.auth.secret',
        '$.waf.customRules[]',
        '$.domains[].tls.privateKey',
        '$.acceleration.compression',
        '$.redis.password',
      ]),
    );
  });
});

// ---------------------------------------------------------------- readable issues

describe('formatConfigIssues', () => {
  test('one `path: message` line per issue, with [i] for indexes and . for keys', () => {
    const input = mutable();
    input.modelRoutes[0].models = [];
    expect(issuesOf(input)).toEqual([expect.stringMatching(/^modelRoutes\[0\]\.models: \S.*/)]);
  });

  test('deep paths', () => {
    const input = mutable();
    input.modelRoutes[0].models[0].targets = [];
    input.backends[2].baseUrl = 'ftp://example.com';
    input.limits.maxQps = 0;
    const issues = issuesOf(input);
    expect(issues).toHaveLength(3);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^modelRoutes\[0\]\.models\[0\]\.targets: \S/),
        expect.stringMatching(/^backends\[2\]\.baseUrl: must be an http\(s\) URL$/),
        expect.stringMatching(/^limits\.maxQps: \S/),
      ]),
    );
  });

  test('an issue at the root is labelled (root)', () => {
    expect(issuesOf('not a config')).toEqual([expect.stringMatching(/^\(root\): \S/)]);
  });

  test('parseGatewayConfig returns the same lines', () => {
    const input = mutable();
    input.modelRoutes[0].models = [];
    expect(parseGatewayConfig(input)).toEqual({ ok: false, issues: issuesOf(input) });
  });
});
