export { boundaryOf, isMultipartFormData } from './content-type';
export { MultipartError } from './errors';
export { parseMultipart } from './parse';
export {
  isMultipartError,
  type MultipartEvent,
  type MultipartLimits,
  MultipartParser,
} from './parser';
export { type PartInfo } from './part-headers';
export { prepareMultipart, type PrepareMultipartOptions, type PreparedMultipart } from './prepare';
export { observeBytes } from './progress';
