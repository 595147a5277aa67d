import { javascript, typescript } from 'projen';

/**
 * The single source of package.json, tsconfig, jest and eslint.
 * Edit this file, run `npx projen`, and commit the generated files.
 */
const project = new typescript.TypeScriptProject({
  name: 'cdktf-ai-gateway',
  description:
    'Declare a fleet of AI gateways as code with CDK for Terraform, validated against the product catalog, and run them on Kubernetes.',
  keywords: ['cdktf', 'terraform', 'kubernetes', 'ai-gateway', 'llm', 'mcp', 'constructs'],
  license: 'Apache-2.0',
  authorName: 'cdktf-ai-gateway maintainers',
  repository: 'https://github.com/cdktf-ai-gateway/cdktf-ai-gateway.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // TypeScript 7 is npm's `latest`, and ts-jest/ts-node cannot load it: stay on 5.9.x.
  typescriptVersion: '5.9.3',
  tsconfig: {
    compilerOptions: {
      strict: true,
      lib: ['es2022'],
      target: 'ES2022',
      module: 'commonjs',
      skipLibCheck: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      noImplicitReturns: true,
      noFallthroughCasesInSwitch: true,
      esModuleInterop: true,
    },
  },
  tsconfigDev: {
    compilerOptions: {
      // Type tests and the example import the package by name; resolve it to the sources.
      baseUrl: '..',
      paths: {
        'cdktf-ai-gateway': ['src/index.ts'],
        'cdktf-ai-gateway/testing': ['src/testing/index.ts'],
      },
    },
    include: ['../examples/**/*.ts', '../bench/**/*.ts'],
    exclude: ['../examples/**/cdktf.out', '../examples/**/.gen'],
  },

  release: true,
  releaseToNpm: true,
  github: true,
  githubOptions: { mergify: false },
  depsUpgrade: false,
  pullRequestTemplate: false,

  deps: ['zod@^4.1.0', 'yaml@^2.8.0', 'undici@^7.16.0', 'prom-client@^15.1.3', 'pino@^10.0.0', 'ioredis@^5.8.0'],
  bin: { aigw: 'lib/cli/aigw.js' },
  peerDeps: ['cdktf@^0.21.0', 'constructs@^10', '@cdktf/provider-kubernetes@^12.1.1'],
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    'cdktf@0.21.0',
    'constructs@10.4.2',
    '@cdktf/provider-kubernetes@12.1.1',
    'cdktf-cli@0.21.0',
    '@swc/core@1.16.22',
    '@swc/jest@0.2.39',
    'fast-check@4.11.0',
    'openai@6.30.1',
    '@anthropic-ai/sdk@1.14.0',
    // Validates synthesized Kubernetes objects against the official OpenAPI schema (test/constructs/kubernetes-objects.test.ts).
    // 4.x: 5.x is ESM-only and needs Node 22, and jest here loads CommonJS on Node 20.
    'kubernetes-models@4.5.1',
  ],

  jest: true,
  typecheckTests: true,
  jestOptions: {
    // A changed snapshot or a missing test must fail the run.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      testEnvironment: 'node',
      collectCoverage: false,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/types/'],
    },
  },
  sampleCode: false,
});

// swc, not ts-jest: type-checking is `tsc --noEmit` over test/ (typecheckTests above).
project.deps.removeDependency('ts-jest');
project.jest!.config.transform = {
  '^.+\\.tsx?$': new javascript.Transform('@swc/jest'),
};

// Public entry points: the construct library, and the test helpers (in-process data plane, upstream simulator).
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './testing': { types: './lib/testing/index.d.ts', default: './lib/testing/index.js' },
  './package.json': './package.json',
});

// The provider's root barrel loads every resource binding: import `@cdktf/provider-kubernetes/lib/<resource>`.
const barrelBan = {
  name: '@cdktf/provider-kubernetes',
  message: "Import the resource from '@cdktf/provider-kubernetes/lib/<resource>': the root barrel is 2-4x slower to compile.",
};
project.eslint!.addRules({
  'no-restricted-imports': ['error', { paths: [barrelBan] }],
});
// cdktf is archived upstream: keep every cdktf/provider import behind src/constructs (one place to move to cdktn).
project.eslint!.addOverride({
  files: ['src/specs/**/*.ts', 'src/dataplane/**/*.ts', 'src/cli/**/*.ts', 'src/simulator/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [barrelBan],
        patterns: [
          { group: ['cdktf', 'cdktf/*', '@cdktf/*', 'constructs'], message: 'Only src/constructs may import cdktf, constructs or the provider.' },
        ],
      },
    ],
  },
});
project.eslint!.addIgnorePattern('examples/**/cdktf.out/');
project.eslint!.addIgnorePattern('bench/');

project.gitignore.exclude('cdktf.out/', '.gen/', 'examples/**/aigw.lock.json', '/bench/out/', '/bench/peers/node_modules/');
project.npmignore?.exclude('/examples/', '/bench/', '/.ci/', 'cdktf.out/');

// The main job: synthesize the example fleet with the real cdktf CLI.
project.addTask('synth', {
  description: 'Synthesize examples/fleet with cdktf (writes examples/fleet/cdktf.out)',
  steps: [
    { spawn: 'compile' },
    { exec: 'cdktf synth', cwd: 'examples/fleet', env: { CHECKPOINT_DISABLE: '1' } },
  ],
});
// `npm start`: the fleet, locally, with no keys (synth, then one `aigw serve` per gateway on a simulated upstream).
project.addTask('start', {
  description: 'Run the example fleet locally: aigw dev (see README)',
  steps: [{ spawn: 'compile' }, { exec: 'node lib/cli/aigw.js dev', receiveArgs: true }],
});
// Issue #6: the data plane against its peers, side by side (installs nginx-light, wrk, hey, Portkey; see BENCHMARKS.md).
project.addTask('bench', {
  description: 'Benchmark the data plane against direct, nginx and Portkey (rewrites the data-plane section of BENCHMARKS.md)',
  exec: 'bash bench/run.sh',
});
project.addTask('bench:synth', {
  description: 'Benchmark synth of one aigw.large.x4 gateway filled to every quota (see BENCHMARKS.md)',
  exec: 'node --expose-gc -r ts-node/register/transpile-only bench/synth-bench.ts',
});

project.synth();
