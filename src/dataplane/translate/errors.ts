/**
 * A body that cannot be carried across protocols as it is. The message names the offending field
 * (`messages[2].tool_calls[0].function.arguments`) and says what to send instead.
 *
 * `source` tells who is at fault: `request` (the client sent it: answer 400 with `param`) or
 * `response` (the upstream answered something untranslatable: answer 502).
 */
export class TranslationError extends Error {
  public constructor(
    /** The path of the offending field in the body it came from, e.g. `messages[2].content[0].image_url.url`. */
    public readonly param: string,
    message: string,
    public readonly source: 'request' | 'response' = 'request',
  ) {
    super(message);
    this.name = 'TranslationError';
  }
}

/** A request-side error: "`param` problem. fix" */
export function badRequest(param: string, problem: string, fix: string): TranslationError {
  return new TranslationError(param, `${param} ${problem}. ${fix}`, 'request');
}

/** A response-side error (the upstream's answer cannot be translated). */
export function badResponse(param: string, problem: string): TranslationError {
  return new TranslationError(param, `The upstream's ${param} ${problem}, so it cannot be translated for this client.`, 'response');
}
