import { DATA_KINDS, familyRules, type ValueRule } from './rule';

/**
 * Protocol anomalies in values: what a well-behaved client never sends and a parser or log may misread. Limits on
 * the request as a whole (method, header count and size, value count) are checked by the engine (engine.ts), with
 * the ids listed in PROTOCOL_REQUEST_RULES.
 */
export const protocolRules = familyRules(
  'protocol',
  [
    // A NUL byte, raw or decoded: it ends a C string, hiding what follows from a checker (CRS 920270).
    { crs: ['920270'], view: 'decoded', pattern: /\0/ },
    // A `%` that starts no valid escape: `%zz`, `%2`, `%u12` (CRS 920220, 920240).
    { crs: ['920220', '920240'], view: 'raw', pattern: /%(?![0-9a-f]{2}|u[0-9a-f]{4})/, kinds: ['path', 'query', 'query-name', 'cookie'] },
    // CR or LF in a request line, header or cookie value: response splitting and header injection (CRS 921120, 921130, 921150, 921160, 921190).
    { crs: ['921120', '921130', '921150', '921160', '921190'], view: 'decoded', pattern: /[\r\n]/, kinds: ['path', 'query', 'query-name', 'header', 'cookie'] },
    // Overlong UTF-8 (`%c0%ae`, `%e0%80%af`, `%f0%80%80%ae`) and bytes UTF-8 never has (`%f8`-`%ff`), possibly encoded again,
    // and IIS full-width escapes (CRS 920250, 920260).
    { crs: ['920250', '920260'], view: 'raw', pattern: /%(?:25){0,3}(?:c[01]|e0%(?:25){0,3}[89]|f0%(?:25){0,3}8|f[89a-f])|%uff[0-5][0-9a-f]/ },
    // CR or LF then a header-like `name:` in a body field that may be copied into a header or a log line (CRS 921160).
    { crs: ['921160'], view: 'decoded', pattern: /[\r\n][a-z0-9-]{1,40} ?:/, kinds: ['body'] },
    // Control characters other than tab, CR and LF (CRS 920271, 920274).
    { crs: ['920271', '920274'], view: 'decoded', pattern: /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/, kinds: ['path', 'query', 'query-name', 'header', 'cookie'] },
  ],
  DATA_KINDS,
);

/** The request-level protocol rules the engine applies, continuing the ids of protocolRules. */
export const PROTOCOL_REQUEST_RULES = {
  method: { id: `protocol-${protocolRules.length + 1}`, crs: ['911100'] },
  headerCount: { id: `protocol-${protocolRules.length + 2}`, crs: ['920380'] },
  headerSize: { id: `protocol-${protocolRules.length + 3}`, crs: ['920370', '920390'] },
  valueCount: { id: `protocol-${protocolRules.length + 4}`, crs: ['920380'] },
  valueSize: { id: `protocol-${protocolRules.length + 5}`, crs: ['920370'] },
} as const satisfies Record<string, Pick<ValueRule, 'id' | 'crs'>>;
