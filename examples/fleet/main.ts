import { join } from 'path';
import { App, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { Construct } from 'constructs';
import { AiGatewayFleet, Backend } from 'cdktf-ai-gateway';

/** A fleet with one Serverless gateway for experiments and one Dedicated gateway for production. */
class AiPlatformStack extends TerraformStack {
  public constructor(scope: Construct, id: string) {
    super(scope, id);
    // The stack owns the provider; the fleet never creates one.
    new KubernetesProvider(this, 'kubernetes', { configPath: '~/.kube/config' });

    const fleet = new AiGatewayFleet(this, 'ai', { region: 'cn-hangzhou', serverless: { minReplicas: 2, maxReplicas: 10 } });

    // Upstream providers: API keys are Secret references, never values.
    const openai = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const qwen = Backend.dashScope({ apiKey: { secretName: 'llm-keys', key: 'dashscope' } });

    // Production: a Dedicated gateway with a capacity spec, a fixed IP and WAF.
    const prod = fleet.addGateway('prod', {
      edition: 'dedicated',
      spec: 'aigw.small.x2',
      endpoint: { fixedIp: '203.0.113.10' },
      waf: { mode: 'block' },
      hardwareAcceleration: { tls: true, fallback: 'software' },
      // Its replicas share one key for MCP session ids, so that any of them serves any session.
      mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' },
    });
    prod.addDomain('api', { hostname: 'ai.example.com', tls: { certificate: { secretName: 'ai-example-tls', key: 'tls.crt' }, privateKey: { secretName: 'ai-example-tls', key: 'tls.key' } } });
    const chat = prod.addModelRoute('chat', {
      host: 'ai.example.com',
      pathPrefix: '/v1',
      models: [
        // gpt-4o falls back to Qwen on 429, 5xx, timeouts or connection errors.
        { name: 'gpt-4o', aliases: ['default'], targets: [{ backend: openai }], fallbacks: ['qwen-max'] },
        { name: 'qwen-max', targets: [{ backend: qwen }] },
      ],
      policies: { rateLimits: [{ kind: 'tokens', limit: 100_000, window: 'minute', scope: 'consumer' }] },
    });
    // An agent: a Dify chat app on its own API under /agents/support, also answering as the model
    // 'support-bot' on the OpenAI API of the chat route, for consumers granted it.
    const support = prod.addAgentRoute('support', {
      kind: 'dify',
      host: 'ai.example.com',
      pathPrefix: '/agents/support',
      baseUrl: 'https://api.dify.ai/v1',
      apiKey: { secretName: 'agent-keys', key: 'dify-support' },
      appType: 'chat',
      asModel: 'support-bot',
      // The gateway's WAF blocks; on the bot's own API it also looks for prompt-injection probes, and only
      // logs and counts what it finds (aigw_waf_matches_total) while its rules are tuned.
      waf: { mode: 'detect', rules: { promptInjection: true } },
    });
    const weather = prod.addMcpServer('weather', {
      kind: 'http-to-mcp',
      baseUrl: 'https://weather.example.com',
      openApiFile: join(__dirname, 'weather-api.yaml'),
      auth: { secret: { secretName: 'upstream-tokens', key: 'weather' } },
    });
    prod.addConsumer('checkout-team', { apiKey: { secretName: 'consumer-keys', key: 'checkout-team' }, grants: { routes: [chat, support], mcpServers: [weather] } });
    prod.addConsumer('platform-admin', { apiKey: { secretName: 'consumer-keys', key: 'platform-admin' }, grants: 'all' });

    // Experiments: a Serverless gateway on the fleet's shared endpoint.
    const lab = fleet.addGateway('lab', { edition: 'serverless', bandwidthMbps: 200 });
    const labChat = lab.addModelRoute('chat', {
      host: 'lab.ai.example.com',
      models: [{ name: 'qwen-*', targets: [{ backend: qwen }] }],
      policies: { rateLimits: [{ limit: 60, window: 'minute' }] },
    });
    lab.addConsumer('data-science', { apiKey: { secretName: 'consumer-keys', key: 'data-science' }, grants: { routes: [labChat] } });
  }
}

const app = new App();
new AiPlatformStack(app, 'ai-platform');
app.synth();
