import { type ChildProcess, spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { delimiter, dirname, join, resolve } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { AiGatewayFleet, Backend } from '../../src';
import type { AiGateway } from '../../src/constructs/gateway';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { secretEnvName } from '../../src/dataplane/secrets';
import { AIGW_BINARY, encodeConfigShards, PORTS, PROBE_PATHS, RUN_AS_USER, serveArgv } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { run } from '../support/run';

/**
 * The image, without a docker engine (there is none here): the Dockerfile is parsed and held to
 * src/specs/runtime.ts, then the image's ENTRYPOINT argv is run from an `npm pack` install of the
 * package, installed with the runtime stage's own `npm install` flags.
 */

const root = resolve(__dirname, '..', '..');

// --- A small Dockerfile parser ----------------------------------------------------------------

interface Instruction {
  /** Upper-cased: FROM, RUN, USER, ... */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  readonly args: string;
  /** 1-based line the instruction starts on. */
  readonly line: number;
}

interface Stage {
  /** The FROM image (or an earlier stage's name). */
  readonly base: string;
  readonly name?: string;
  /** The instructions after FROM, up to the next FROM. */
  readonly instructions: Instruction[];
}

/**
 * Instructions in order: parser directives (`# escape=`), comments (full lines only, also inside
 * a continuation, where empty lines are dropped too) and line continuations are handled.
 */
function parseInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  // Parser directives: `# key=value` lines before any other line, comment or instruction.
  for (const line of lines) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1].toLowerCase() === 'escape') escape = directive[2];
  }
  const out: Instruction[] = [];
  let buffer: string | undefined;
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines and empty lines are dropped, also inside a continuation.
    if (trimmed.startsWith('#') || trimmed === '') return;
    const continues = raw.trimEnd().endsWith(escape);
    const content = continues ? raw.trimEnd().slice(0, -escape.length) : raw;
    if (buffer === undefined) {
      buffer = content;
      start = i + 1;
    } else {
      buffer += content;
    }
    if (!continues) {
      const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(buffer)!;
      out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start });
      buffer = undefined;
    }
  });
  if (buffer !== undefined) throw new Error(`Dockerfile ends inside a line continuation (from line ${start})`);
  return out;
}

/** Stages in order; ARG/parser lines before the first FROM are not part of any stage. */
function parseDockerfile(text: string): Stage[] {
  const stages: { base: string; name?: string; instructions: Instruction[] }[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ base: words[0], name: as > 0 ? words[as + 1] : undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(ins);
    } else if (ins.keyword !== 'ARG') {
      throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
    }
  }
  return stages;
}

/** The image a stage ultimately builds on, following `FROM <earlier stage>`. */
function baseImage(stages: Stage[], index: number): string {
  const { base } = stages[index];
  const earlier = stages.slice(0, index).findIndex((s) => s.name?.toLowerCase() === base.toLowerCase());
  return earlier >= 0 ? baseImage(stages, earlier) : base;
}

/** The exec (JSON array) form; undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(args) as unknown;
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `ENV a=b c="d e"` and the legacy `ENV a b c`; quotes removed, `$VAR` left as is. */
function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    const legacy = /^([^\s=]+)\s+([\s\S]*)$/.exec(args);
    if (legacy) {
      env.set(legacy[1], legacy[2]);
      continue;
    }
    for (const m of args.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) env.set(m[1], m[2].replace(/^"([\s\S]*)"$/, '$1'));
  }
  return env;
}

/** A .dockerignore line as a regex on context paths; it also matches everything under what it names. */
function dockerignorePattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (pattern.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re.replace(/\/$/, '')}(?:/.*)?$`);
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).pop();
}

describe('the Dockerfile parser', () => {
  test('continuations, comments inside them, lower-case keywords, stages and their names', () => {
    const stages = parseDockerfile(
      [
        '# a comment',
        'ARG V=1',
        'FROM node:20-slim AS build',
        'RUN a \\',
        '  # dropped',
        '',
        '  && b',
        'from --platform=linux/amd64 build as second',
        'entrypoint ["x", "y"]',
        'FROM second',
        'USER 1:2',
      ].join('\n'),
    );
    expect(stages.map((s) => [s.base, s.name])).toEqual([['node:20-slim', 'build'], ['build', 'second'], ['second', undefined]]);
    expect(stages[0].instructions).toEqual([{ keyword: 'RUN', args: 'a   && b', line: 4 }]);
    expect(execForm(stages[1].instructions[0].args)).toEqual(['x', 'y']);
    expect(baseImage(stages, 2)).toBe('node:20-slim');
    expect(() => parseDockerfile('FROM a\nRUN b \\')).toThrow(/continuation/);
  });

  test('the escape directive and ENV forms', () => {
    const [stage] = parseDockerfile('# escape=`\nFROM x\nENV A=1 B="two words" `\n  C=3\nRUN a `\n  b\nENV D 4 5');
    expect(stage.instructions.map((i) => i.keyword)).toEqual(['ENV', 'RUN', 'ENV']);
    expect(stage.instructions[1].args).toBe('a   b');
    expect(Object.fromEntries(envOf(stage))).toEqual({ A: '1', B: 'two words', C: '3', D: '4 5' });
  });
});

// --- The Dockerfile, held to runtime.ts -----------------------------------------------------------

const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const final = stages[stages.length - 1];

describe('the Dockerfile follows runtime.ts', () => {
  test('multi-stage, and the final stage runs on node:20-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(baseImage(stages, stages.length - 1)).toBe('node:20-slim');
  });

  test('USER is numeric and non-root (uid and gid), equal to RUN_AS_USER', () => {
    const user = last(final, 'USER');
    expect(user).toBeDefined();
    const [uid, gid, ...rest] = user!.args.split(':');
    expect(rest).toEqual([]);
    expect(uid).toMatch(/^[0-9]+$/);
    expect(Number(uid)).toBe(RUN_AS_USER);
    if (gid !== undefined) {
      expect(gid).toMatch(/^[0-9]+$/);
      // The pod's runAsGroup and fsGroup are RUN_AS_USER too.
      expect(Number(gid)).toBe(RUN_AS_USER);
    }
    expect(Number(uid)).toBeGreaterThan(0);
  });

  test('ENTRYPOINT is the exec form of serveArgv(), and no CMD adds arguments', () => {
    const entrypoint = last(final, 'ENTRYPOINT');
    expect(entrypoint).toBeDefined();
    expect(execForm(entrypoint!.args)).toEqual(serveArgv());
    const cmd = last(final, 'CMD');
    if (cmd) expect(execForm(cmd.args)).toEqual([]);
  });

  test('every port in PORTS is EXPOSEd', () => {
    const exposed = final.instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/))
      .map((p) => {
        const [port, proto = 'tcp'] = p.split('/');
        return proto.toLowerCase() === 'tcp' ? Number(port) : NaN;
      });
    for (const port of Object.values(PORTS)) expect(exposed).toContain(port);
  });

  test('production mode, and the entrypoint binary on PATH', () => {
    const env = envOf(final);
    expect(env.get('NODE_ENV')).toBe('production');
    // The runtime stage installs the package into WORKDIR (a project install: see the Dockerfile),
    // so `aigw` is found through WORKDIR/node_modules/.bin on PATH.
    const workdir = last(final, 'WORKDIR')?.args;
    expect(workdir).toBeDefined();
    expect((env.get('PATH') ?? '').split(':')).toContain(`${workdir}/node_modules/.bin`);
  });

  test('the build context keeps what the build stage copies', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
      .map(dockerignorePattern);
    const copied = stages
      .flatMap((s) => s.instructions)
      .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
      .flatMap((i) => i.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', '.npmignore', 'src']));
    for (const source of copied) {
      expect(existsSync(join(root, source))).toBe(true);
      expect(ignored.filter((re) => re.test(source.replace(/^\.\//, '')))).toEqual([]);
    }
  });
});

// --- The ENTRYPOINT, run from an `npm pack` install --------------------------------------------------


function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The runtime stage's `npm install` flags (`--omit=...`), so that the test installs as the image does. */
function imageInstallFlags(): string[] {
  const install = final.instructions.find((i) => i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args));
  if (!install) throw new Error('the runtime stage has no `npm install`');
  return install.args.split(/\s+/).filter((w) => /^--(omit|legacy-peer-deps|production)/.test(w));
}

const UPSTREAM_KEY = 'sk-upstream-image-test';
const CONSUMER_KEY = 'sk-consumer-image-test';

/** A small fleet: one gateway, one model route on a simulated upstream, one consumer. */
function gateway(sim: UpstreamSimulator): AiGateway {
  const stack = new TerraformStack(Testing.app(), 'image');
  new KubernetesProvider(stack, 'k8s', {});
  const gw = new AiGatewayFleet(stack, 'fleet', { region: 'test' }).addGateway('gw', { edition: 'dedicated', spec: 'aigw.small.x1' }) as AiGateway;
  const backend = new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const chat = gw.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  gw.addConsumer('app', { apiKey: { secretName: 'consumer-keys', key: 'app' }, grants: { routes: [chat] } });
  return gw;
}

/** Writes the shards as kubelet projects ConfigMaps: files in a timestamped folder, `..data` → it, a symlink per key. */
function writeConfigDir(dir: string, shards: ReturnType<typeof encodeConfigShards>): void {
  const stamp = '..2025_01_01_00_00_00.000000001';
  mkdirSync(join(dir, stamp), { recursive: true });
  for (const shard of shards) {
    const files: [string, Buffer][] = [
      ...Object.entries(shard.data).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'utf8')]),
      ...Object.entries(shard.binaryData).map(([k, v]): [string, Buffer] => [k, Buffer.from(v, 'base64')]),
    ];
    for (const [name, content] of files) {
      writeFileSync(join(dir, stamp, name), content);
      symlinkSync(join('..data', name), join(dir, name));
    }
  }
  symlinkSync(stamp, join(dir, '..data'));
}

describe('the ENTRYPOINT runs from an `npm pack` install', () => {
  let work: string;
  let appDir: string;
  let sim: UpstreamSimulator | undefined;
  let child: ChildProcess | undefined;
  let output = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'aigw-image-'));
    // The build stage: compile lib/, then pack as npm would publish.
    run('npx', ['tsc', '-p', 'tsconfig.json'], root);
    run('npm', ['pack', '--pack-destination', work, '--silent'], root);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    // The runtime stage: a fresh project with the packed package, installed with the image's flags.
    appDir = join(work, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'aigw-image', private: true }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', ...imageInstallFlags(), join(work, tarball)], appDir);
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  test('the install has the runtime dependencies and none of the peer dependencies', () => {
    expect(imageInstallFlags()).toContain('--omit=peer');
    const has = (name: string) => existsSync(join(appDir, 'node_modules', name, 'package.json'));
    for (const dep of ['zod', 'undici', 'pino', 'prom-client', 'yaml']) expect(has(dep)).toBe(true);
    for (const peer of ['cdktf', 'constructs', '@cdktf/provider-kubernetes']) expect(has(peer)).toBe(false);
    expect(existsSync(join(appDir, 'node_modules', '.bin', AIGW_BINARY))).toBe(true);
  });

  test('serves a synthesized config: ready, healthy, metrics, a proxied request; exits 0 on SIGTERM', async () => {
    sim = await UpstreamSimulator.start({ name: 'image' });
    const { config, hash } = synthesizedGatewayConfig(gateway(sim));
    const shards = encodeConfigShards(config);
    expect(shards[0].meta.hash).toBe(hash);

    // The image's mount paths (MOUNT_PATHS) do not exist here: --config and --secrets point at
    // temp dirs laid out the same way, and the ports at free ones. Everything else is the ENTRYPOINT.
    const configDir = join(work, 'config');
    const secretsDir = join(work, 'secrets');
    writeConfigDir(configDir, shards);
    // One secret as a mounted Secret file (<secretsDir>/<secretName>/<key>), one from the environment.
    mkdirSync(join(secretsDir, 'llm-keys'), { recursive: true });
    writeFileSync(join(secretsDir, 'llm-keys', 'openai'), `${UPSTREAM_KEY}\n`);
    const [port, adminPort] = [await freePort(), await freePort()];
    const entrypoint = execForm(last(final, 'ENTRYPOINT')!.args)!;
    const substitute: Record<string, string> = { '--config': configDir, '--secrets': secretsDir, '--port': String(port), '--admin-port': String(adminPort) };
    const argv = entrypoint.map((arg, i) => substitute[entrypoint[i - 1]] ?? arg);
    expect(argv).toEqual(serveArgv({ configDir, secretsDir, port, adminPort }));

    const imageEnv = Object.fromEntries([...envOf(final)].filter(([, v]) => !v.includes('$')));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIGW_')));
    child = spawn(join(appDir, 'node_modules', '.bin', argv[0]), argv.slice(1), {
      cwd: appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...inherited,
        ...imageEnv,
        // The bin's `#!/usr/bin/env node` needs node on PATH.
        PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
        [secretEnvName({ secretName: 'consumer-keys', key: 'app' })]: CONSUMER_KEY,
      },
    });
    const proc = child;
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));

    const trafficUrl = `http://127.0.0.1:${port}`;
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`aigw serve exited (${proc.exitCode ?? proc.signalCode}) before ready:\n${output}`);
      const status = await fetch(`${adminUrl}${PROBE_PATHS.readiness}`).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`${PROBE_PATHS.readiness} never returned 200 (last ${status}):\n${output}`);
      await sleep(100);
    }

    expect((await fetch(`${adminUrl}${PROBE_PATHS.liveness}`)).status).toBe(200);

    const res = await fetch(`${trafficUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello from the image test' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toContain('[sim:image]');
    expect(sim.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${UPSTREAM_KEY}`]);

    const metrics = await fetch(`${adminUrl}${PROBE_PATHS.metrics}`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^aigw_requests_total\{.*\} 1$/m);

    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 30_000)))]);
    clearTimeout(timer);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/"msg":"drained"/);
  }, 180_000);
});
