import { defineExtension, type ExtensionDefinition } from '../../../src/extensions';
import type { SystemExtension } from '../../../src/extensions/catalog-types';

/** Appends its name to the request header `x-order`: the order the hooks ran in, as the upstream sees it. */
function tagger(name: string): ExtensionDefinition {
  return defineExtension({
    name,
    onRequest(ctx) {
      const order = ctx.request.headers['x-order'];
      ctx.request.headers['x-order'] = order ? `${order},${name}` : name;
    },
  });
}

/** Extensions for the runtime's tests, each doing one observable thing when the request asks for it (a header). */
export const TEST_EXTENSIONS: Record<string, ExtensionDefinition> = {
  'tag-a': tagger('tag-a'),
  'tag-b': tagger('tag-b'),
  'tag-c': tagger('tag-c'),
  'tag-d': tagger('tag-d'),
  'switcher': defineExtension({
    name: 'switcher',
    onRequest(ctx) {
      // Tries to make the request another consumer's (the key in x-switch-key); tells the upstream whose it is then.
      const key = ctx.request.headers['x-switch-key'];
      ctx.request.headers['x-switched'] = `${key ? (ctx.authenticate(key) ?? 'refused') : 'no-key'}`;
    },
  }),
  'tagger': defineExtension({
    name: 'tagger',
    onRequest(ctx) {
      if (ctx.request.headers['x-block'] === '1') return ctx.respond(403, { error: { message: 'blocked by tagger' } });
      return undefined;
    },
    onResponse(ctx) {
      ctx.response.headers['x-tagger'] = 'on';
    },
  }),
  'thrower': defineExtension({
    name: 'thrower',
    onRequest(ctx) {
      if (ctx.request.headers['x-throw'] === '1') throw new Error('thrower was asked to throw');
    },
  }),
  'sleeper': defineExtension({
    name: 'sleeper',
    async onRequest(ctx) {
      if (ctx.request.headers['x-sleep'] !== '1') return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 300);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  }),
  'busy': defineExtension({
    name: 'busy',
    onRequest(ctx) {
      if (ctx.request.headers['x-busy'] !== '1') return;
      const until = performance.now() + 15;
      while (performance.now() < until) {
        // A synchronous hook that overruns its 5 ms budget: measured, never preempted.
      }
    },
  }),
  'mapper': defineExtension({
    name: 'mapper',
    onRequest(ctx) {
      const body = ctx.request.body;
      if (body?.model === 'alias') body.model = 'm';
    },
  }),
  'body-rewriter': defineExtension({
    name: 'body-rewriter',
    onResponse(ctx) {
      const body = ctx.response.body as { choices?: { message?: { content?: string } }[] } | undefined;
      const message = body?.choices?.[0]?.message;
      if (message?.content !== undefined) message.content = `[rewritten] ${message.content}`;
    },
  }),
  'shout': defineExtension({
    name: 'shout',
    onStreamChunk(ctx) {
      if (ctx.event.data === '[DONE]') return;
      const chunk = JSON.parse(ctx.event.data) as { choices?: { delta?: { content?: string } }[] };
      const delta = chunk.choices?.[0]?.delta;
      if (typeof delta?.content === 'string') {
        delta.content = delta.content.toUpperCase();
        ctx.event.data = JSON.stringify(chunk);
      }
      ctx.scratch.events = ((ctx.scratch.events as number | undefined) ?? 0) + 1;
    },
    onStreamEnd(ctx) {
      ctx.log.info('stream ended', { events: ctx.scratch.events });
    },
  }),
  'stats': defineExtension({
    name: 'stats',
    onRequest(ctx) {
      ctx.scratch.asked = ctx.request.headers['x-note'] ?? 'none';
    },
    onLog(ctx) {
      ctx.fields.note = String(ctx.scratch.asked);
      ctx.fields.status = ctx.record.status as number;
      ctx.fields.long = 'x'.repeat(1000);
    },
  }),
  'header-editor': defineExtension({
    name: 'header-editor',
    onRequest(ctx) {
      // Removes a protocol header the gateway would forward, and sets one the backend's own config sets too.
      delete ctx.request.headers['anthropic-beta'];
      ctx.request.headers['x-backend-tag'] = 'from-extension';
      ctx.request.headers['x-extension-tag'] = 'from-extension';
    },
  }),
  'late-responder': defineExtension({
    name: 'late-responder',
    async onRequest(ctx) {
      if (ctx.request.headers['x-late'] !== '1') return;
      // Ignores its signal: answers after its 50 ms budget, when the request has moved on without it.
      await new Promise((resolve) => setTimeout(resolve, 120));
      ctx.respond(418, { error: { message: 'too late' } });
    },
  }),
  'counter': defineExtension({
    name: 'counter',
    async onRequest(ctx) {
      const n = await ctx.kv.incrBy('hits', 1, 60);
      ctx.request.headers['x-count'] = String(n);
    },
  }),
};

/** The system catalog the tests' gateways resolve: the package's own entries, and these. */
export function systemCatalogWithTests(actual: Readonly<Record<string, SystemExtension>>): Record<string, SystemExtension> {
  const tests = Object.fromEntries(
    Object.entries(TEST_EXTENSIONS).map(([name, definition]) => [name, { definition, description: name, phase: 'default' as const, priority: 0, failPolicy: 'closed' as const }]),
  );
  return { ...actual, ...tests };
}
