import { readFileSync } from 'fs';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { transformSync } from 'esbuild';
import OpenAI from 'openai';
import { AiGateway, AiGatewayFleet, Backend } from '../src';
import { startTestGateway, UpstreamSimulator } from '../src/testing';

/** The README's observability example, run as printed: inside a stack with the Quick start's `fleet` and `openai`. */
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### Observability (tiers and custom configuration)'));
const example = /```ts\n([\s\S]*?)```/.exec(section)![1];

test("the README's observability example: request labels on the counters, the chosen access fields, a redacted payload line", async () => {
  const sim = await UpstreamSimulator.start();
  const stack = new TerraformStack(Testing.app(), 'readme');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'ai', { region: 'cn-hangzhou' });
  const openai = Backend.openAi({ baseUrl: `${sim.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('fleet', 'openai', transformSync(example, { loader: 'ts' }).code)(fleet, openai);
  const gw = await startTestGateway(fleet.node.findChild('observed') as AiGateway, { consumers: { checkout: 'sk-checkout' } });
  try {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-checkout', maxRetries: 0, defaultHeaders: { 'x-tenant': 'acme' } });
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'pay with 4111-1111-1111-1111' }] });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_requests_total\{[^}]*consumer="checkout"[^}]*tenant="acme",team="checkout"[^}]*\} 1/);
    const access = gw.logs.find((l) => l.msg === 'access')!;
    expect(Object.keys(access).filter((k) => !['level', 'time', 'service', 'msg'].includes(k)).sort()).toEqual(['consumer', 'durationMs', 'inputTokens', 'outputTokens', 'route', 'status']);
    const payload = gw.logs.find((l) => l.msg === 'payload')!;
    expect(payload.prompt).toContain('pay with [redacted]');
  } finally {
    await gw.close();
    await sim.close();
  }
});
