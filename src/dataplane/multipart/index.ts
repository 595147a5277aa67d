export { boundaryOf, isMultipartFormData } from './content-type';
export { MultipartError, type MultipartErrorCode, MultipartErrors } from './errors';
export { asBuffer } from './as-buffer';
export { parseMultipart } from './parse';
export {
  DEFAULT_MAX_FIELD_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_PARTS,
  isMultipartError,
  type MultipartEvent,
  type MultipartLimits,
  MultipartParser,
} from './parser';
export { isFilePart, type PartInfo } from './part-headers';
export {
  DEFAULT_MEMORY_THRESHOLD_BYTES,
  prepareMultipart,
  type PrepareMultipartOptions,
  type PreparedMultipart,
  type RewrittenMultipart,
} from './prepare';
export { observeBytes } from './progress';
export { Spool } from './spool';
