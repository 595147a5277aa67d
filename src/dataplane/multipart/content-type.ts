import { MultipartErrors } from './errors';
import { parseHeaderValue } from './header-params';

/** RFC 2046 §5.1.1: 1-70 characters; we accept any printable ASCII, not ending in a space. */
const BOUNDARY = /^[\x20-\x7e]{0,69}[\x21-\x7e]$/;

/** True when the Content-Type is multipart/form-data (whatever its parameters). */
export function isMultipartFormData(contentType: string | undefined): boolean {
  return contentType !== undefined && parseHeaderValue(contentType)?.value === 'multipart/form-data';
}

/** The boundary of a `multipart/form-data; boundary=…` Content-Type; MultipartError 400 when absent or invalid. */
export function boundaryOf(contentType: string): string {
  const parsed = parseHeaderValue(contentType);
  if (!parsed || parsed.value !== 'multipart/form-data') throw MultipartErrors.notFormData(contentType);
  const boundary = parsed.params.boundary;
  if (boundary === undefined || boundary === '') throw MultipartErrors.notFormData(contentType);
  if (boundary.length > 70) throw MultipartErrors.badBoundary(`${boundary.length} characters`);
  if (!BOUNDARY.test(boundary)) throw MultipartErrors.badBoundary(`'${boundary}'`);
  return boundary;
}
