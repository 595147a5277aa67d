import { GatewayError } from '../errors';

/** Stable codes of the multipart failures, for logs and metrics. */
export type MultipartErrorCode =
  | 'request_too_large'
  | 'multipart_not_form_data'
  | 'multipart_malformed'
  | 'multipart_too_many_parts'
  | 'multipart_field_too_large'
  | 'multipart_headers_too_large'
  | 'multipart_model_missing'
  | 'multipart_model_invalid';

/**
 * A multipart body the gateway refuses: 413 beyond the total byte limit, 400 for everything else.
 * It is a {@link GatewayError}, so `sendError(res, e)` answers it as an OpenAI-style error.
 */
export class MultipartError extends GatewayError {
  public constructor(status: 400 | 413, code: MultipartErrorCode, message: string, param: string | null = null) {
    super(status, 'invalid_request_error', code, message, param);
    this.name = 'MultipartError';
  }
}

export const MultipartErrors = {
  notFormData: (contentType: string) =>
    new MultipartError(400, 'multipart_not_form_data', `The Content-Type '${contentType}' is not multipart/form-data with a boundary. Send Content-Type: multipart/form-data; boundary=<boundary>.`),
  badBoundary: (detail: string) =>
    new MultipartError(400, 'multipart_not_form_data', `The multipart boundary in the Content-Type is not valid (${detail}). Use 1 to 70 printable ASCII characters, not ending in a space.`),
  tooLarge: (limit: number) =>
    new MultipartError(413, 'request_too_large', `The multipart body exceeds ${limit} bytes. Send a smaller file.`),
  malformed: (detail: string) =>
    new MultipartError(400, 'multipart_malformed', `The multipart/form-data body is malformed: ${detail}. Send a body encoded as RFC 7578 multipart/form-data.`),
  tooManyParts: (limit: number) =>
    new MultipartError(400, 'multipart_too_many_parts', `The multipart body has more than ${limit} parts. Send at most ${limit} form fields and files.`),
  fieldTooLarge: (name: string, limit: number) =>
    new MultipartError(400, 'multipart_field_too_large', `The form field '${name}' exceeds ${limit} bytes. Keep form fields under ${limit} bytes, or send large content as a file part (with a filename).`, name),
  headersTooLarge: (limit: number) =>
    new MultipartError(400, 'multipart_headers_too_large', `The headers of a multipart part exceed ${limit} bytes. Send shorter part headers.`),
  modelMissing: () =>
    new MultipartError(400, 'multipart_model_missing', "The multipart body has no 'model' form field. Add a 'model' field naming the model.", 'model'),
  modelIsFile: () =>
    new MultipartError(400, 'multipart_model_invalid', "The 'model' part is a file (it has a filename). Send 'model' as a plain form field.", 'model'),
  duplicateModel: () =>
    new MultipartError(400, 'multipart_model_invalid', "The multipart body has more than one 'model' field. Send exactly one.", 'model'),
};
