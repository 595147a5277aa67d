import { defineExtension, type ExtensionDefinition, type JsonObject } from '../../../src/extensions';
import type { SystemExtension } from '../../../src/extensions/catalog-types';

/** Every tool call the `tool-spy` extension saw, in order: who called which tool of which server. */
export const SPIED: { server: string; tool: string; consumer: string | undefined }[] = [];

/** The text of a tool result's first content item, when it has one. */
function firstText(result: JsonObject | undefined): { text: string } | undefined {
  const content = result?.content;
  const first = Array.isArray(content) ? content[0] : undefined;
  return first !== null && typeof first === 'object' && !Array.isArray(first) && typeof first.text === 'string' ? (first as { text: string }) : undefined;
}

/**
 * Extensions for the onToolCall / onToolResult tests, each doing one observable thing when the call asks for it
 * (an argument's value), so that one gateway carries them all.
 */
export const MCP_HOOK_EXTENSIONS: Record<string, ExtensionDefinition> = {
  'tool-spy': defineExtension({
    name: 'tool-spy',
    onToolCall(ctx) {
      SPIED.push({ server: ctx.call.server, tool: ctx.call.tool, consumer: ctx.consumer });
    },
  }),
  'path-mapper': defineExtension({
    name: 'path-mapper',
    onToolCall(ctx) {
      // In place: `secret.txt` is read as `public.txt`.
      if (ctx.call.arguments.path === 'secret.txt') ctx.call.arguments.path = 'public.txt';
      // Replaced, after a wait (an async hook): the query the upstream gets is another.
      if (ctx.call.arguments.q === 'alias') {
        return Promise.resolve().then(() => {
          ctx.call.arguments = { q: 'resolved' };
        });
      }
      // An HTTP-to-MCP tool's path argument.
      if (ctx.call.arguments.id === 'old') ctx.call.arguments = { id: 'new' };
      return undefined;
    },
  }),
  'region-redactor': defineExtension({
    name: 'region-redactor',
    onToolCall(ctx) {
      // An argument mirrored in a Mcp-Param-* header (2026-07-28): the client's header must not carry the old value upstream.
      if (ctx.call.arguments.region === 'secret-region') ctx.call.arguments.region = 'eu-west';
    },
  }),
  'etc-guard': defineExtension({
    name: 'etc-guard',
    onToolCall(ctx) {
      const path = ctx.call.arguments.path;
      if (typeof path === 'string' && path.startsWith('/etc/')) return ctx.refuse(`reading ${path} is not allowed here`);
      return undefined;
    },
  }),
  'result-stamp': defineExtension({
    name: 'result-stamp',
    async onToolResult(ctx) {
      // Async on purpose: the relay waits for it, in JSON answers and SSE streams alike.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const first = firstText(ctx.result);
      if (first) first.text = `[checked ${ctx.call.tool}] ${first.text}`;
    },
  }),
  'call-thrower': defineExtension({
    name: 'call-thrower',
    onToolCall(ctx) {
      if (ctx.call.arguments.q === 'explode') throw new Error('call-thrower was asked to throw');
    },
  }),
  'result-thrower': defineExtension({
    name: 'result-thrower',
    onToolResult(ctx) {
      if (firstText(ctx.result)?.text.includes('explode-result')) throw new Error('result-thrower was asked to throw');
    },
  }),
};

/** The system catalog the tests' gateways resolve: the package's own entries, and these. */
export function systemCatalogWithMcpHooks(actual: Readonly<Record<string, SystemExtension>>): Record<string, SystemExtension> {
  const tests = Object.fromEntries(
    Object.entries(MCP_HOOK_EXTENSIONS).map(([name, definition]) => [name, { definition, description: name, phase: 'default' as const, priority: 0, failPolicy: 'closed' as const }]),
  );
  return { ...actual, ...tests };
}
