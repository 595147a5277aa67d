/**
 * Normal request shapes around the body: the User-Agents and x-stainless-*
 * headers of the official SDKs, browsers and curl, X-Forwarded-For lists,
 * Azure api-version queries, cookies, Referers, `user` and `metadata`
 * fields, and the GET endpoints. Issue #16's contract says none of these is
 * flagged by default, while the same fields are inspected for attacks.
 */
import type { BenignRequest } from './corpus-format';

export interface DescribedRequest {
  readonly description: string;
  readonly request: BenignRequest;
}

const CHAT_BODY = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello in three languages.' }] };

const chat = (headers: Record<string, string>, extra: { query?: string; body?: Record<string, unknown> } = {}): BenignRequest => ({
  method: 'POST',
  path: '/v1/chat/completions',
  ...(extra.query === undefined ? {} : { query: extra.query }),
  headers: { 'content-type': 'application/json', ...headers },
  body: { ...CHAT_BODY, ...extra.body },
});

const get = (path: string, headers: Record<string, string>, query?: string): BenignRequest => ({
  method: 'GET',
  path,
  ...(query === undefined ? {} : { query }),
  headers,
});

const USER_AGENTS: ReadonlyArray<readonly [string, string]> = [
  ['the OpenAI Node SDK 6.x', 'OpenAI/JS 6.30.1'],
  ['an older OpenAI Node SDK', 'OpenAI/JS 4.104.0'],
  ['openai-python', 'OpenAI/Python 1.109.1'],
  ['openai-python async client', 'AsyncOpenAI/Python 1.109.1'],
  ['the Anthropic TypeScript SDK', 'Anthropic/JS 0.68.0'],
  ['anthropic-python', 'Anthropic/Python 0.71.0'],
  ['anthropic-python async client', 'AsyncAnthropic/Python 0.71.0'],
  ['the Vercel AI SDK (OpenAI provider)', 'ai-sdk/openai/2.0.52 ai-sdk/provider-utils/3.0.12 runtime/node.js/22'],
  ['LangChain (Python, through openai-python)', 'langchain-openai/0.3.35 OpenAI/Python 1.109.1'],
  ['LangChain.js', 'langchainjs-openai/0.6.16'],
  ['curl 8.x', 'curl/8.5.0'],
  ['a newer curl 8.x', 'curl/8.11.1'],
  ['Chrome on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'],
  ['Firefox on Linux', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'],
  ['Safari on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'],
  ['Safari on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'],
  ['python-httpx', 'python-httpx/0.28.1'],
  ['Go net/http', 'Go-http-client/1.1'],
  ['OkHttp (Android and Java clients)', 'okhttp/4.12.0'],
  ['Postman', 'PostmanRuntime/7.42.0'],
];

const STAINLESS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['the full x-stainless-* set the OpenAI Node SDK sends on Linux x64', { 'user-agent': 'OpenAI/JS 6.30.1', 'x-stainless-os': 'Linux', 'x-stainless-arch': 'x64', 'x-stainless-lang': 'js', 'x-stainless-package-version': '6.30.1', 'x-stainless-runtime': 'node', 'x-stainless-runtime-version': 'v22.11.0', 'x-stainless-retry-count': '0', 'x-stainless-timeout': '600' }],
  ['openai-python on macOS arm64, second retry', { 'user-agent': 'OpenAI/Python 1.109.1', 'x-stainless-os': 'MacOS', 'x-stainless-arch': 'arm64', 'x-stainless-lang': 'python', 'x-stainless-package-version': '1.109.1', 'x-stainless-runtime': 'CPython', 'x-stainless-runtime-version': '3.12.7', 'x-stainless-retry-count': '2', 'x-stainless-read-timeout': '600', 'x-stainless-async': 'false' }],
  ['the Anthropic SDK in Deno on Windows', { 'user-agent': 'Anthropic/JS 0.68.0', 'anthropic-version': '2023-06-01', 'x-stainless-os': 'Windows', 'x-stainless-arch': 'x64', 'x-stainless-lang': 'js', 'x-stainless-package-version': '0.68.0', 'x-stainless-runtime': 'deno', 'x-stainless-runtime-version': '2.1.4', 'x-stainless-retry-count': '1', 'x-stainless-timeout': '600' }],
  ['anthropic-python async with a helper method header', { 'user-agent': 'AsyncAnthropic/Python 0.71.0', 'anthropic-version': '2023-06-01', 'x-stainless-os': 'Linux', 'x-stainless-arch': 'arm64', 'x-stainless-lang': 'python', 'x-stainless-package-version': '0.71.0', 'x-stainless-runtime': 'CPython', 'x-stainless-runtime-version': '3.11.9', 'x-stainless-async': 'async:asyncio', 'x-stainless-helper-method': 'stream' }],
  ['the OpenAI SDK in a browser (dangerouslyAllowBrowser) with an unknown OS', { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'x-stainless-os': 'Unknown', 'x-stainless-arch': 'unknown', 'x-stainless-lang': 'js', 'x-stainless-package-version': '6.30.1', 'x-stainless-runtime': 'browser:firefox', 'x-stainless-runtime-version': '133.0.0', 'x-stainless-retry-count': '0' }],
  ['the OpenAI SDK on Bun with an other:-prefixed arch', { 'user-agent': 'OpenAI/JS 6.30.1', 'x-stainless-os': 'Linux', 'x-stainless-arch': 'other:riscv64', 'x-stainless-lang': 'js', 'x-stainless-package-version': '6.30.1', 'x-stainless-runtime': 'bun', 'x-stainless-runtime-version': '1.1.38', 'x-stainless-retry-count': '0' }],
];

const FORWARDING: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['a single client address in X-Forwarded-For', { 'x-forwarded-for': '203.0.113.7' }],
  ['a client then an internal proxy in X-Forwarded-For', { 'x-forwarded-for': '203.0.113.7, 10.0.0.2' }],
  ['three hops in X-Forwarded-For', { 'x-forwarded-for': '198.51.100.4, 203.0.113.7, 10.1.2.3' }],
  ['an IPv6 client behind an IPv4 proxy', { 'x-forwarded-for': '2001:db8::7, 10.0.0.2' }],
  ['an address with a port, as some load balancers send', { 'x-forwarded-for': '203.0.113.7:51234' }],
  ['the RFC 7239 Forwarded header with X-Forwarded-Proto and X-Real-IP', { 'forwarded': 'for=192.0.2.60;proto=https;by=203.0.113.43', 'x-forwarded-proto': 'https', 'x-real-ip': '192.0.2.60' }],
];

const OTHER_HEADERS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['browser-style Accept, Accept-Language and Accept-Encoding', { 'accept': 'application/json, text/event-stream', 'accept-language': 'de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7', 'accept-encoding': 'gzip, deflate, br, zstd' }],
  ['W3C trace context and a request id', { 'traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'tracestate': 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'x-request-id': '6f1c2b1e-8d3a-4f57-9c1e-2a7b9e0d4c11' }],
  ['an Authorization bearer key and an OpenAI organization header', { 'authorization': 'Bearer sk-test-not-a-real-key-0000000000000000', 'openai-organization': 'org-AbCdEf123456', 'openai-project': 'proj_abc123' }],
  ['an idempotency key as the SDKs send on retries', { 'idempotency-key': 'stainless-python-retry-7c1a9e54-2f3b-4d6e-8a90-1b2c3d4e5f60', 'x-stainless-retry-count': '1' }],
  ['Sec-Fetch and Origin headers of a browser app', { 'origin': 'https://app.example.com', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-site', 'sec-fetch-dest': 'empty', 'sec-ch-ua': '"Chromium";v="131", "Not_A Brand";v="24"', 'sec-ch-ua-platform': '"Windows"' }],
  ['If-None-Match and Cache-Control', { 'if-none-match': 'W/"5f3a-1b2c"', 'cache-control': 'no-cache', 'pragma': 'no-cache' }],
];

const COOKIES: readonly string[] = [
  'session=s%3A9f8e7d6c5b4a.QmFzZTY0U2lnbmF0dXJl',
  'sid=7c1a9e542f3b4d6e; theme=dark; lang=en-US',
  '_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; consent=necessary%2Canalytics',
  'auth_token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMzQiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl',
  '__Host-csrf=Zm9vYmFyYmF6; __Secure-next-auth.session-token=a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6',
];

const REFERERS: readonly string[] = [
  'https://app.example.com/chat?conversation=conv_123&tab=history',
  'https://www.google.com/search?q=ai+gateway+rate+limits&hl=en',
  'https://docs.example.com/guides/sql?section=joins#left-join',
  'https://app.example.com/projects/42/files?path=src%2Fapi%2Fusers.ts&line=12',
  'http://localhost:3000/playground?model=gpt-4o&temperature=0.2',
];

const USERS: readonly string[] = ['user-1234', 'alice@example.com', 'o\'brien@example.ie', 'tenant_42:user_9f8e7d', '7c1a9e54-2f3b-4d6e-8a90-1b2c3d4e5f60', 'Jürgen Müller'];

const METADATA: ReadonlyArray<Record<string, string>> = [
  { conversation_id: 'conv_123', source: 'web' },
  { note: 'weekly report for team A/B', ticket: 'OPS-1234' },
  { note: 'retry after 429 from upstream', attempt: '2' },
  { note: 'user asked about SQL joins', page: '/docs/sql?section=joins' },
  { customer: 'acme-corp', env: 'staging', region: 'eu-west-1' },
];

const AZURE_QUERIES: readonly string[] = ['api-version=2024-10-21', 'api-version=2024-12-01-preview', 'api-version=2025-01-01-preview&stream=true', 'api-version=2024-06-01'];

export const BENIGN_REQUESTS: readonly DescribedRequest[] = [
  ...USER_AGENTS.map(([who, ua]) => ({ description: `User-Agent of ${who}`, request: chat({ 'user-agent': ua }) })),
  ...STAINLESS.map(([what, headers]) => ({ description: `x-stainless-* headers: ${what}`, request: chat(headers) })),
  ...FORWARDING.map(([what, headers]) => ({ description: `forwarding headers: ${what}`, request: chat({ 'user-agent': 'OpenAI/JS 6.30.1', ...headers }) })),
  ...OTHER_HEADERS.map(([what, headers]) => ({ description: `ordinary headers: ${what}`, request: chat({ 'user-agent': 'OpenAI/Python 1.109.1', ...headers }) })),
  ...COOKIES.map((cookie) => ({ description: `a browser app's cookies: ${cookie.split('=')[0]}`, request: chat({ 'user-agent': USER_AGENTS[12][1], cookie }) })),
  ...REFERERS.map((referer) => ({ description: `a Referer URL with a query string: ${new URL(referer).host}`, request: chat({ 'user-agent': USER_AGENTS[13][1], referer }) })),
  ...USERS.map((user) => ({ description: `a \`user\` field as applications set it: ${JSON.stringify(user)}`, request: chat({ 'user-agent': 'OpenAI/JS 6.30.1' }, { body: { user } }) })),
  ...METADATA.map((metadata) => ({ description: `a metadata object with short strings: ${Object.keys(metadata).join(', ')}`, request: chat({ 'user-agent': 'OpenAI/Python 1.109.1' }, { body: { metadata, store: true } }) })),
  ...AZURE_QUERIES.map((query) => ({ description: `an Azure OpenAI api-version query: ${query}`, request: chat({ 'user-agent': 'AzureOpenAI/Python 1.109.1', 'api-key': 'test-azure-key-0000' }, { query }) })),
  { description: 'an Azure deployment-style path with api-version', request: { method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions', query: 'api-version=2024-10-21', headers: { 'content-type': 'application/json', 'user-agent': 'AzureOpenAI/JS 6.30.1', 'api-key': 'test-azure-key-0000' }, body: CHAT_BODY } },
  { description: 'GET /v1/models from the OpenAI SDK', request: get('/v1/models', { 'user-agent': 'OpenAI/JS 6.30.1' }) },
  { description: 'GET /v1/models with a limit query', request: get('/v1/models', { 'user-agent': 'Anthropic/Python 0.71.0', 'anthropic-version': '2023-06-01' }, 'limit=100') },
  { description: 'GET one model by a name with dots and dashes', request: get('/v1/models/gpt-4o-2024-08-06', { 'user-agent': 'OpenAI/Python 1.109.1' }) },
  { description: 'GET a stored response', request: get('/v1/responses/resp_abc123', { 'user-agent': 'OpenAI/JS 6.30.1' }) },
  { description: 'GET a stored response with include[] (bracketed query key)', request: get('/v1/responses/resp_abc123', { 'user-agent': 'OpenAI/Python 1.109.1' }, 'include%5B%5D=message.output_text.logprobs&stream=false') },
  { description: 'GET a stored response\'s input items, paginated', request: get('/v1/responses/resp_abc123/input_items', { 'user-agent': 'OpenAI/JS 6.30.1' }, 'limit=20&order=asc&after=msg_0001') },
  { description: 'GET /v1/models with curl and a bearer key', request: get('/v1/models', { 'user-agent': 'curl/8.5.0', 'accept': '*/*', 'authorization': 'Bearer sk-test-not-a-real-key-0000000000000000' }) },
  { description: 'Anthropic count_tokens with ?beta=true as the SDK sends for beta endpoints', request: { method: 'POST', path: '/v1/messages/count_tokens', query: 'beta=true', headers: { 'content-type': 'application/json', 'user-agent': 'Anthropic/JS 0.68.0', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'token-counting-2024-11-01' }, body: { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hello' }] } } },
  { description: 'Anthropic messages with prompt caching beta header and cache_control', request: { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'user-agent': 'Anthropic/Python 0.71.0', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31' }, body: { model: 'claude-sonnet-4-5', max_tokens: 256, system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'Hi' }] } } },
  { description: 'Anthropic messages with metadata.user_id', request: { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json', 'user-agent': 'Anthropic/JS 0.68.0', 'anthropic-version': '2023-06-01' }, body: { model: 'claude-sonnet-4-5', max_tokens: 256, metadata: { user_id: 'user-1234' }, messages: [{ role: 'user', content: 'Hi' }] } } },
  { description: 'Responses API with previous_response_id, metadata and user', request: { method: 'POST', path: '/v1/responses', headers: { 'content-type': 'application/json', 'user-agent': 'OpenAI/JS 6.30.1' }, body: { model: 'gpt-4o', previous_response_id: 'resp_abc123', input: 'And in French?', user: 'user-1234', metadata: { session: 'sess_42' } } } },
  { description: 'chat request with stream_options, seed, logit_bias and a stop list', request: chat({ 'user-agent': 'OpenAI/Python 1.109.1' }, { body: { stream: true, stream_options: { include_usage: true }, seed: 7, logit_bias: { 50256: -100 }, stop: ['\n\n', 'END'] } }) },
];
