import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { AnnotationMetadataEntryType, Testing } from 'cdktf';
import { fleetStack, openAi, resourcesOf, synth, synthError } from './fixtures';
import { type AiGatewayProps, LOCK_FILE_CONTEXT_KEY } from '../../src';
import { tempDirs } from '../support/temp-dirs';

function appWithLock(lockFile: string, props: AiGatewayProps) {
  const app = Testing.app({ context: { [LOCK_FILE_CONTEXT_KEY]: lockFile } });
  const { stack, fleet } = fleetStack({}, app);
  const gateway = fleet.addGateway('prod', props);
  gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
  return { stack, gateway };
}

const imageOf = (tf: ReturnType<typeof synth>) => resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-prod').spec.template.spec.container[0].image;

describe('aigw.lock.json: no downgrade, pinned versions', () => {
  const tempDir = tempDirs();
  const lockFile = () => join(tempDir('aigw-lock-'), 'aigw.lock.json');

  test('the first synth writes each gateway\'s edition, spec and image version', () => {
    const file = lockFile();
    synth(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1', version: '1.2.3' }).stack);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      lockVersion: 1,
      gateways: { 'stack0/fleet/prod': { edition: 'dedicated', spec: 'aigw.small.x1', imageVersion: '1.2.3' } },
    });
  });

  test('a locked Dedicated gateway cannot become Serverless', () => {
    const file = lockFile();
    synth(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1' }).stack);
    const before = readFileSync(file, 'utf8');
    const { stack, gateway } = appWithLock(file, { edition: 'serverless' });
    expect(synthError(stack)).toContain(
      `Gateway 'prod' (${gateway.node.path}): locked as Dedicated (aigw.small.x1) in ${file}; a Dedicated gateway cannot be downgraded to Serverless.`,
    );
    // Nothing is written when a rule fails.
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  test('a Dedicated image stays pinned to the locked version; `version` moves it', () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify({ lockVersion: 1, gateways: { 'stack0/fleet/prod': { edition: 'dedicated', spec: 'aigw.small.x1', imageVersion: '0.9.0' } } }));
    expect(imageOf(synth(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1' }).stack))).toBe('ghcr.io/cdktf-ai-gateway/aigw:0.9.0');
    expect(imageOf(synth(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1', version: '1.0.0' }).stack))).toBe('ghcr.io/cdktf-ai-gateway/aigw:1.0.0');
    expect(JSON.parse(readFileSync(file, 'utf8')).gateways['stack0/fleet/prod'].imageVersion).toBe('1.0.0');
  });

  test('a spec change between Dedicated specs is allowed and reported as info', () => {
    const file = lockFile();
    synth(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1' }).stack);
    const { stack, gateway } = appWithLock(file, { edition: 'dedicated', spec: 'aigw.medium.x1' });
    synth(stack);
    const infos = gateway.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.INFO).map((m) => m.data);
    expect(infos).toContain("Gateway 'prod': spec changes from aigw.small.x1 to aigw.medium.x1.");
    expect(JSON.parse(readFileSync(file, 'utf8')).gateways['stack0/fleet/prod'].spec).toBe('aigw.medium.x1');
  });

  test('an unreadable lock file fails synth instead of being overwritten', () => {
    const file = lockFile();
    writeFileSync(file, '{ not json');
    expect(synthError(appWithLock(file, { edition: 'dedicated', spec: 'aigw.small.x1' }).stack)).toContain(`Lock file ${file}: cannot be read`);
    expect(readFileSync(file, 'utf8')).toBe('{ not json');
  });

  test('with no context key and no cdktf.json above, nothing is read or written', () => {
    const { stack } = fleetStack();
    const cwd = process.cwd();
    synth(stack);
    expect(existsSync(join(cwd, 'aigw.lock.json'))).toBe(false);
  });
});
