import type { RequestContext } from './request-context';

/** Resolves when the client can take more, or at once when it never will (its response is gone). */
export function drained(ctx: RequestContext): Promise<void> {
  if (ctx.res.destroyed || ctx.res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      ctx.res.off('drain', done);
      ctx.res.off('close', done);
      resolve();
    };
    ctx.res.once('drain', done);
    ctx.res.once('close', done);
  });
}
