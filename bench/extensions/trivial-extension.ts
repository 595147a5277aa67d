/**
 * The extensions bench's trivial extension (a custom one, bundled at synth as a user's would be): onRequest reads
 * one header and returns, onResponse sets one header. It does almost nothing on purpose, so that what it costs
 * aigw per call is the cost of the mechanism (bundle loaded in-process, hooks called through the runner, each
 * under its budget and failure policy, timed into the metrics), not of any work.
 */
import { defineExtension } from 'cdktf-ai-gateway/extensions';
import { TRIVIAL_EXTENSION_NAME, TRIVIAL_HEADER } from './trivial-names';

export default defineExtension({
  name: TRIVIAL_EXTENSION_NAME,
  onRequest(ctx) {
    // The one header read; the bench never sends it, so nothing is ever logged.
    if (ctx.request.headers['x-bench-probe'] !== undefined) ctx.log.debug('probe header present');
  },
  onResponse(ctx) {
    ctx.response.headers[TRIVIAL_HEADER] = 'on';
  },
});
