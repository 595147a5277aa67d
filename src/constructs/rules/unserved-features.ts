import { UNSERVED_FEATURES, unservedFindings } from '../unserved-features';
import { finding } from '../violation';
import type { Rule } from './context';

/** Declared but not served yet is said at synth, on the construct that declares it (the data plane says it again at load). */
export const unservedFeaturesRule: Rule = {
  id: 'unserved-features',
  description: 'A construct that declares what the data plane does not serve yet (QAT compression, QAT TLS offload with fallback software (no device) or fail (no QAT engine in the bundled image), kubeconfig sources, extra static addresses) gets a warning naming what does not happen and what to do instead.',
  level: 'warning',
  errors: { suppressible: true },
  findingIds: Object.keys(UNSERVED_FEATURES).map((id) => `unserved:${id}`),
  check: (ctx) => ctx.gateways.flatMap((g) => unservedFindings(g).map((f) => ({ ...finding(f.construct, f.message), id: f.id }))),
};
