import { readFileSync } from 'fs';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { transformSync } from 'esbuild';
import OpenAI, { PermissionDeniedError } from 'openai';
import { AiGateway, AiGatewayFleet, Backend } from '../src';
import { synthesizedGatewayConfig } from '../src/constructs/synthesized-config';
import { startTestGateway, UpstreamSimulator } from '../src/testing';

/** The README's WAF example, run as printed: inside a stack with the Quick start's `fleet` and `openai`. */
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### WAF (Dedicated)'));
const example = /```ts\n([\s\S]*?)```/.exec(section)![1];

function runExample(baseUrl: string): AiGateway {
  const stack = new TerraformStack(Testing.app(), 'readme');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'ai', { region: 'cn-hangzhou' });
  const openai = Backend.openAi({ baseUrl, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const { code } = transformSync(example, { loader: 'ts' });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('fleet', 'openai', code)(fleet, openai);
  return fleet.node.findChild('secure') as AiGateway;
}

test("the README's WAF example synthesizes, and its gateway blocks an attack, passes SQL in a prompt, and only logs on the tuned route", async () => {
  const sim = await UpstreamSimulator.start();
  const gateway = runExample(`${sim.url}/v1`);
  const { config } = synthesizedGatewayConfig(gateway);
  expect(config.waf).toMatchObject({ mode: 'block', ipDenyList: ['203.0.113.0/24'], trustedProxies: ['10.0.0.0/8'] });
  expect(config.modelRoutes.find((r) => r.name === 'review')?.waf).toEqual({ mode: 'detect', inspectMessages: true });
  const gw = await startTestGateway(gateway, { secrets: { 'llm-keys/openai': 'sk-up', 'consumer-keys/checkout': 'sk-checkout' } });
  try {
    const client = (prefix: string) => new OpenAI({ baseURL: `${gw.url}${prefix}/v1`, apiKey: 'sk-checkout', maxRetries: 0 });
    const sql = "Why does SELECT * FROM users WHERE name = '' OR 1=1 -- return every row?";
    const answer = await client('').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: sql }] });
    expect(answer.choices[0]?.message.content).toContain('SELECT');
    const refused = await client('').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], user: "x' OR '1'='1" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).code).toBe('waf_blocked');
    // The tuned route reads message text but only logs: the same prompt passes, and its match is counted as `log`.
    await client('/review').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: sql }] });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_waf_matches_total\{route="review",rule="sqli-\d+",action="log"/);
    expect(metrics).toMatch(/aigw_waf_matches_total\{route="chat",rule="sqli-\d+",action="block"/);
  } finally {
    await gw.close();
    await sim.close();
  }
});
