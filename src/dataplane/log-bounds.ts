/** Longest client-chosen text an access line carries (a model name, an error detail). */
export const LOG_TEXT_LIMIT = 256;

/**
 * Client-chosen text cut to a bounded length for logs and error messages: a 1 MiB model name must
 * not become a 1 MiB log line. Short text (all of it, in practice) is returned as it is.
 */
export function boundedForLog(text: string): string {
  return text.length <= LOG_TEXT_LIMIT ? text : `${text.slice(0, LOG_TEXT_LIMIT)}...[${text.length} chars]`;
}
