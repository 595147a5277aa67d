import { github, javascript, typescript } from 'projen';
import { IMAGE_REPOSITORY } from './src/specs/runtime';

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
        'cdktf-ai-gateway/extensions': ['src/extensions/index.ts'],
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

  // esbuild: synth bundles each custom extension's module into one file (src/constructs/extension-bundle.ts).
  // re2js: content-guard runs admin-written deny patterns on client text in linear time (pure JS, no native build).
  deps: [
    'zod@^4.1.0',
    'yaml@^2.8.0',
    'undici@^7.16.0',
    'prom-client@^15.1.3',
    'pino@^10.0.0',
    'ioredis@^5.8.0',
    'esbuild@^0.28.0',
    're2js@^2.10.0',
  ],
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
    // Clients users call agents exposed as models with (test/dataplane/agents/client-sdks.test.ts). The newest majors (ai 7,
    // @langchain/openai 1) are ESM-only and need Node 22; these are the last that load as CommonJS on Node 20.
    'ai@5.0.285',
    '@ai-sdk/openai@2.0.140',
    '@langchain/openai@0.6.9',
    '@langchain/core@0.3.80',
    // MCP: the official SDK's Client (and Server classes for upstreams) in tests; the reference server as a real third-party upstream.
    // The v2 split packages (client, server) speak the stateless revision 2026-07-28 (test/dataplane/mcp/stateless.test.ts); 1.x does not.
    '@modelcontextprotocol/client@2.4.0',
    '@modelcontextprotocol/sdk@1.32.2',
    '@modelcontextprotocol/server@2.4.0',
    '@modelcontextprotocol/server-everything@2026.8.31',
    // The test environment (test/support/environment.ts) extends jest's node environment: same major as jest.
    'jest-environment-node@^30',
    // Unused files, exports and dependencies (the knip task below).
    'knip@^6.48.0',
    // Validates synthesized Kubernetes objects against the official OpenAPI schema (test/constructs/kubernetes-objects.test.ts).
    // 4.x: 5.x is ESM-only and needs Node 22, and jest here loads CommonJS on Node 20.
    'kubernetes-models@4.5.1',
  ],

  // `npm test` must not rewrite sources: its lint step only reports (developers fix with the eslint:fix task below).
  eslintOptions: { dirs: ['src'], commandOptions: { fix: false } },

  jest: true,
  typecheckTests: true,
  jestOptions: {
    // A changed snapshot or a missing test must fail the run.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      // A run leaves nothing in the temp directory: each test file gets its own folder (its TMPDIR)
      // inside one for the run, and the run fails naming whatever a file left there (test/support/temp-root.ts).
      testEnvironment: '<rootDir>/test/support/environment.ts',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      collectCoverage: false,
      // A hang detector, not a timing claim: files that start gateways and simulators run side by side on a
      // 2-core CI machine, where a first test that loads cdktf and the SDKs cold took longer than jest's 5 s default.
      testTimeout: 30_000,
      // A worker whose memory passed this after a file is replaced by a fresh one: the memory tests force full
      // collections, whose cost grows with whatever heap the worker kept from the files it ran before (62 s seen).
      workerIdleMemoryLimit: '512MB',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/types/'],
    },
  },
  sampleCode: false,
});

// swc, not ts-jest: type-checking is `tsc --noEmit` over test/ (typecheckTests above).
project.deps.removeDependency('ts-jest');
// ts-jest only for the README's testing example, run as cdktf's TypeScript template runs it (test/packaging).
project.addDevDeps('ts-jest@^29.4');
project.jest!.config.transform = {
  '^.+\\.tsx?$': new javascript.Transform('@swc/jest'),
};

// Unused files, exports and dependencies: `npx projen knip`. The package's own entries (main, exports, bin) are
// knip's defaults; these are the others. The ignored devDependencies are run by projen tasks, which knip does not read.
project.package.addField('knip', {
  entry: ['src/simulator/main.ts', 'src/dataplane/reload/decode-worker.ts', 'bench/**/*.ts', 'examples/*/main.ts', 'test/**/*.ts'],
  project: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
  paths: {
    'cdktf-ai-gateway': ['src/index.ts'],
    'cdktf-ai-gateway/testing': ['src/testing/index.ts'],
    'cdktf-ai-gateway/extensions': ['src/extensions/index.ts'],
  },
  // An export its own file uses is not dead code.
  ignoreExportsUsedInFile: true,
  ignoreDependencies: ['cdktf-cli', 'commit-and-tag-version', 'ts-node', 'ts-jest'],
  // Debian's tools the TLS tests and bench run (test/support/tls-certificates.ts, bench/tls): .ci/run installs openssl.
  ignoreBinaries: ['openssl', 'dpkg-query'],
});
const knip = project.addTask('knip', { description: 'Finds unused files, exports and dependencies (knip)', exec: 'knip' });
// Part of `npm test`: dead code fails the build, as a type error does.
project.testTask.spawn(knip);

// Public entry points: the construct library, the test helpers (in-process data plane, upstream simulator), and the
// extension API that custom extension modules import (bundled into them at synth).
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './testing': { types: './lib/testing/index.d.ts', default: './lib/testing/index.js' },
  './extensions': { types: './lib/extensions/index.d.ts', default: './lib/extensions/index.js' },
  './package.json': './package.json',
});
// TypeScript's `node10` resolution (cdktf's app template: CommonJS, classic `node`) ignores `exports`: this maps
// `cdktf-ai-gateway/testing` (and `/extensions`) to its types there. Node's require and jest read `exports` for the code.
project.package.addField('typesVersions', { '*': { testing: ['lib/testing/index.d.ts'], extensions: ['lib/extensions/index.d.ts'] } });

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
// The eslint task, which `npm test` runs, only reports; this one runs it with --fix: `npx projen eslint:fix`.
project.addTask('eslint:fix', {
  description: 'Runs eslint against the codebase and applies its fixes (the eslint task only reports)',
  steps: [{ spawn: project.eslint!.eslintTask.name, args: ['--fix'], receiveArgs: true }],
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
  // npm prints its `> pkg@version start` banner on stdout before the script runs: `--silent` is the only switch that drops it
  // for one command (an .npmrc loglevel would hide npm's warnings everywhere), so JSON readers run `npm start --silent -- --json`.
  description: 'Run the example fleet locally: aigw dev (see README); `npm start --silent -- --json` prints only JSON lines on stdout',
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

// The data-plane image goes out with each release, tagged as the constructs pull it: a Dedicated gateway pins
// `<IMAGE_REPOSITORY>:<package version>` (src/constructs/image-tag.ts), a Serverless one follows the fleet's floating
// channel, 'stable' unless set (src/constructs/fleet.ts); `latest` for people who pull by hand.
// test/image/release-workflow.test.ts holds the three together.
const publisher = project.release!.publisher;
const [imageRegistry] = IMAGE_REPOSITORY.split('/');
if (imageRegistry !== 'ghcr.io' || publisher.condition === undefined) {
  throw new Error(`release_image logs in to ghcr.io with GITHUB_TOKEN after a gated release; found ${IMAGE_REPOSITORY} and condition ${publisher.condition}. Publish elsewhere with that registry's login-action.`);
}
const imageVersion = '${{ steps.version.outputs.version }}';
project.release!.addJobs({
  release_image: {
    name: 'Publish the data-plane image',
    needs: [publisher.buildJobId],
    // The gate of the npm and GitHub publish jobs: only when this run tagged a new version.
    if: publisher.condition,
    runsOn: ['ubuntu-latest'],
    permissions: { contents: github.workflows.JobPermission.READ, packages: github.workflows.JobPermission.WRITE },
    steps: [
      github.WorkflowSteps.checkout(),
      github.WorkflowSteps.downloadArtifact({
        name: 'Download build artifacts',
        with: { artifactIds: [`\${{ needs.${publisher.buildJobId}.outputs.artifact_id }}`], path: 'dist' },
      }),
      {
        name: 'Set the released version',
        id: 'version',
        // The checkout's package.json says 0.0.0 (the release job bumps, builds, then resets it); the bump's version is in
        // dist/version.txt. Set it as the bump did, so that the image's package (LIBRARY_VERSION, `aigw --version`) is the release.
        run: [
          'VERSION=$(cat dist/version.txt)',
          'npm version "$VERSION" --no-git-tag-version --allow-same-version --ignore-scripts',
          'echo "version=$VERSION" >> "$GITHUB_OUTPUT"',
        ].join('\n'),
      },
      { name: 'Set up Docker Buildx', uses: 'docker/setup-buildx-action@v3' },
      {
        name: 'Log in to the GitHub Container Registry',
        if: '${{ !inputs.dry_run }}',
        uses: 'docker/login-action@v3',
        with: { registry: imageRegistry, username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' },
      },
      {
        name: 'Build and push the image',
        uses: 'docker/build-push-action@v6',
        with: {
          // The checkout with the version set above, not the action's default Git context (which would build package.json at 0.0.0).
          context: '.',
          file: 'Dockerfile',
          push: '${{ !inputs.dry_run }}',
          tags: [`${IMAGE_REPOSITORY}:${imageVersion}`, `${IMAGE_REPOSITORY}:stable`, `${IMAGE_REPOSITORY}:latest`].join('\n'),
          labels: [`org.opencontainers.image.version=${imageVersion}`, 'org.opencontainers.image.revision=${{ github.sha }}'].join('\n'),
        },
      },
    ],
  },
});
// The GitHub Release marks a version as out: only once npm has the package and the registry has the image it pulls.
project.github!.tryFindWorkflow('release')!.file!.addOverride('jobs.release_github.needs', [publisher.buildJobId, 'release_npm', 'release_image']);

project.synth();
