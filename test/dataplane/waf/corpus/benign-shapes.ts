/**
 * Wraps a benign message text in the request bodies clients really send:
 * OpenAI chat (string and content parts, multi-turn with the text in an
 * assistant turn), Anthropic messages (system + content parts), Responses
 * `input`, legacy completions `prompt` and embeddings `input`. Also the
 * non-message fields that carry code-like text: tool schemas and
 * response_format.
 */
import type { BenignRequest } from './corpus-format';

const OPENAI_HEADERS = {
  'content-type': 'application/json',
  'user-agent': 'OpenAI/JS 6.30.1',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '6.30.1',
  'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v22.11.0',
} as const;

const ANTHROPIC_HEADERS = {
  'content-type': 'application/json',
  'user-agent': 'Anthropic/JS 0.68.0',
  'anthropic-version': '2023-06-01',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '0.68.0',
} as const;

const PYTHON_HEADERS = {
  'content-type': 'application/json',
  'user-agent': 'OpenAI/Python 1.109.1',
  'x-stainless-lang': 'python',
  'x-stainless-package-version': '1.109.1',
  'x-stainless-runtime': 'CPython',
  'x-stainless-runtime-version': '3.12.7',
} as const;

export interface BodyShape {
  /** How the text is carried, for the entry's description. */
  readonly name: string;
  readonly wrap: (text: string) => BenignRequest;
}

export const BODY_SHAPES: readonly BodyShape[] = [
  {
    name: 'OpenAI chat, user message as a string',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: OPENAI_HEADERS,
      body: { model: 'gpt-4o', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: text }] },
    }),
  },
  {
    name: 'OpenAI chat, user message as text content parts (openai-python)',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: PYTHON_HEADERS,
      body: { model: 'gpt-4o', temperature: 0.2, messages: [{ role: 'user', content: [{ type: 'text', text }] }] },
    }),
  },
  {
    name: 'Anthropic messages, system prompt and text content parts',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/messages',
      headers: ANTHROPIC_HEADERS,
      body: {
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        system: 'You are a senior engineer who answers precisely.',
        messages: [{ role: 'user', content: [{ type: 'text', text }] }],
      },
    }),
  },
  {
    name: 'Responses API, input as a string',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/responses',
      headers: OPENAI_HEADERS,
      body: { model: 'gpt-4o', input: text, store: false },
    }),
  },
  {
    name: 'OpenAI chat, the text in an earlier assistant turn followed by a user question',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: OPENAI_HEADERS,
      body: {
        model: 'gpt-4o',
        stream: true,
        messages: [
          { role: 'user', content: 'I will paste something I was asked about.' },
          { role: 'assistant', content: text },
          { role: 'user', content: 'Thanks. Can you explain that more simply?' },
        ],
      },
    }),
  },
  {
    name: 'Responses API, input as a message with input_text parts',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/responses',
      headers: PYTHON_HEADERS,
      body: { model: 'gpt-4o', instructions: 'Answer briefly.', input: [{ role: 'user', content: [{ type: 'input_text', text }] }] },
    }),
  },
  {
    name: 'completions prompt',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/completions',
      headers: OPENAI_HEADERS,
      body: { model: 'gpt-3.5-turbo-instruct', prompt: text, max_tokens: 256 },
    }),
  },
  {
    name: 'embeddings input (a batch of strings)',
    wrap: (text) => ({
      method: 'POST',
      path: '/v1/embeddings',
      headers: PYTHON_HEADERS,
      body: { model: 'text-embedding-3-small', input: [text, 'a second, plain document'] },
    }),
  },
];

export interface SchemaRequest {
  readonly description: string;
  readonly request: BenignRequest;
}

const chatWith = (extra: Record<string, unknown>, question: string): BenignRequest => ({
  method: 'POST',
  path: '/v1/chat/completions',
  headers: OPENAI_HEADERS,
  body: { model: 'gpt-4o', messages: [{ role: 'user', content: question }], ...extra },
});

const tool = (name: string, description: string, parameters: Record<string, unknown>) => ({ type: 'function', function: { name, description, parameters } });

/** Tool schemas and response_format whose descriptions, patterns and examples hold SQL, shell, HTML and paths. */
export const SCHEMA_REQUESTS: readonly SchemaRequest[] = [
  {
    description: 'tools: a run_sql function whose description and example hold SELECT … UNION and a -- comment',
    request: chatWith({ tools: [tool('run_sql', 'Run a read-only SQL query, e.g. SELECT id FROM a UNION SELECT id FROM b -- returns rows as JSON', { type: 'object', properties: { query: { type: 'string', description: 'One SELECT statement; no DROP, DELETE or UPDATE.' } }, required: ['query'] })] }, 'How many orders did we ship last week?'),
  },
  {
    description: 'tools: a shell tool whose description mentions rm -rf, pipes and && chains',
    request: chatWith({ tools: [tool('run_shell', 'Run a shell command in the sandbox. Never run rm -rf /; chain with && and pipe with |, e.g. ls -la | grep log', { type: 'object', properties: { command: { type: 'string' }, timeout_s: { type: 'integer', minimum: 1, maximum: 60 } }, required: ['command'] })] }, 'List the log files in the sandbox.'),
  },
  {
    description: 'tools: a file reader whose schema pattern and examples hold ../ and /etc/hosts',
    request: chatWith({ tools: [tool('read_file', 'Read a file inside the workspace. Paths like ../secret or /etc/hosts are refused.', { type: 'object', properties: { path: { type: 'string', pattern: '^(?!.*\\.\\.)[\\w./-]+$', examples: ['src/index.ts', 'docs/README.md'] } }, required: ['path'] })], tool_choice: 'auto' }, 'Open src/index.ts and summarise it.'),
  },
  {
    description: 'tools: an HTML renderer whose description contains <script> and onerror= warnings',
    request: chatWith({ tools: [tool('render_html', 'Render an HTML fragment to PNG. Strip <script> tags and on* handlers such as onerror= before rendering.', { type: 'object', properties: { html: { type: 'string', description: 'e.g. <div class="card"><img src="logo.png" alt="logo"></div>' } }, required: ['html'] })] }, 'Render a card with our logo.'),
  },
  {
    description: 'tools: parallel tool definitions with Windows paths and a PowerShell example',
    request: chatWith({ parallel_tool_calls: true, tools: [tool('win_exec', 'Run PowerShell on the build agent, e.g. Get-ChildItem C:\\Windows\\Temp | Remove-Item -Recurse', { type: 'object', properties: { script: { type: 'string' } } }), tool('win_read', 'Read C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex240101.log', { type: 'object', properties: {} })] }, 'Clean the temp folder on the agent.'),
  },
  {
    description: 'response_format json_schema with a regex pattern and an SQL example field',
    request: chatWith({ response_format: { type: 'json_schema', json_schema: { name: 'query_plan', strict: true, schema: { type: 'object', additionalProperties: false, required: ['sql', 'explanation'], properties: { sql: { type: 'string', description: 'e.g. SELECT * FROM t WHERE a = 1 OR b = 2' }, explanation: { type: 'string' }, table: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$' } } } } } }, 'Give me a query that finds duplicate emails.'),
  },
  {
    description: 'response_format json_schema whose property descriptions contain HTML and a javascript: URL warning',
    request: chatWith({ response_format: { type: 'json_schema', json_schema: { name: 'snippet', schema: { type: 'object', properties: { html: { type: 'string', description: 'An HTML snippet such as <a href="https://example.com">link</a>; never a javascript: URL' }, css: { type: 'string' } } } } } }, 'Make a button snippet.'),
  },
  {
    description: 'Anthropic tools with input_schema holding a shell example and a tool_result with command output',
    request: {
      method: 'POST',
      path: '/v1/messages',
      headers: ANTHROPIC_HEADERS,
      body: {
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        tools: [{ name: 'bash', description: 'Run a bash command, e.g. cat /etc/os-release; uname -a', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }],
        messages: [
          { role: 'user', content: 'Which OS is the sandbox?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'bash', input: { command: 'cat /etc/os-release; uname -a' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nLinux sandbox 6.1.0 #1 SMP x86_64 GNU/Linux' }] },
        ],
      },
    },
  },
  {
    description: 'OpenAI chat with an assistant tool call whose arguments hold a SQL query, and the tool answer',
    request: {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: OPENAI_HEADERS,
      body: {
        model: 'gpt-4o',
        messages: [
          { role: 'user', content: 'How many users signed up today?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'run_sql', arguments: '{"query":"SELECT count(*) FROM users WHERE created_at >= current_date -- today"}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '[{"count": 42}]' },
        ],
      },
    },
  },
  {
    description: 'Responses API with a function tool whose description holds a curl | sh warning and a file path',
    request: {
      method: 'POST',
      path: '/v1/responses',
      headers: OPENAI_HEADERS,
      body: { model: 'gpt-4o', input: 'Install the CLI in the sandbox.', tools: [{ type: 'function', name: 'install', description: 'Install a package. Do not pipe curl into sh; download to /tmp/pkg.tgz and verify its sha256 first.', parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }] },
    },
  },
  {
    description: 'embeddings input of code documents holding SQL, shell and HTML',
    request: {
      method: 'POST',
      path: '/v1/embeddings',
      headers: OPENAI_HEADERS,
      body: { model: 'text-embedding-3-small', input: ['DROP TABLE IF EXISTS tmp_import; CREATE TABLE tmp_import (LIKE import INCLUDING ALL);', '#!/bin/sh\nset -eu\ncurl -fsSL "$URL" -o /tmp/a && tar -xzf /tmp/a -C /opt', '<form action="/login" method="post"><input name="user"><input type="password" name="pw"></form>'] },
    },
  },
  {
    description: 'completions prompt with a list of prompts holding code',
    request: {
      method: 'POST',
      path: '/v1/completions',
      headers: PYTHON_HEADERS,
      body: { model: 'gpt-3.5-turbo-instruct', prompt: ['-- Postgres\nSELECT name FROM users WHERE id IN (SELECT user_id FROM orders', '# bash\nfor f in *.txt; do wc -l "$f"; done |'], max_tokens: 64 },
    },
  },
];
