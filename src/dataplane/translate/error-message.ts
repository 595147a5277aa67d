/**
 * The explanation in an upstream's error body, whichever shape it comes in: OpenAI's
 * `{error: {message}}`, Anthropic's `{type: 'error', error: {message}}`, the `{error: '…'}` of some
 * OpenAI-compatible servers (Ollama), or a bare `{message}`. Undefined when there is none: the
 * caller then says what it knows (the status).
 */
export function upstreamErrorMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}
