import type { AccessRecord } from '../../src/dataplane/access-log';
import type { AccessLogField } from '../../src/specs';

// Every field of an access line can be chosen by `observability.accessLog.fields`: a field added to AccessRecord
// and not to ACCESS_LOG_FIELDS (src/specs/observability.ts) makes this fail to compile.
const unselectable: Exclude<keyof AccessRecord, AccessLogField> extends never ? 'none' : 'some' = 'none';
// And no field named there is missing from the record.
const unknownField: Exclude<AccessLogField, keyof AccessRecord> extends never ? 'none' : 'some' = 'none';
export const ACCESS_LOG_FIELD_CHECKS = [unselectable, unknownField];
