import type { Stage } from './stage';
import { RequestExtensions } from '../extensions/contexts';
import { runRequestHooks } from '../extensions/request';

/**
 * The extensions' onRequest hooks (extensions/request.ts), after auth and the body, before limits and the
 * backend: they may change the request's headers and body, or answer it. A config without extensions pays one
 * length check; with some, the request gets the state its hooks share (response hooks and onLog included).
 */
export const requestExtensions: Stage = {
  name: 'request-extensions',
  run: (ctx, deps) => {
    const compiled = ctx.snapshot.extensions;
    if (compiled.all.length === 0) return undefined;
    const state = (ctx.extensions = new RequestExtensions(ctx, deps, compiled));
    return compiled.onRequest.length === 0 ? undefined : runRequestHooks(state);
  },
};
