import { topLevelObjectMember } from './json-member';

/** Token usage as providers report it, in both wire formats. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** Usage of a whole JSON response (OpenAI `usage.prompt_tokens`…, images/audio `usage.input_tokens`…, Anthropic `usage`). */
export function usageOfJson(json: string): Usage | undefined {
  // Only the `usage` object is parsed, not the whole answer.
  const member = topLevelObjectMember(json, 'usage');
  if (member === undefined) return undefined;
  let usage: unknown;
  try {
    usage = JSON.parse(member);
  } catch {
    return undefined;
  }
  return usageOfObject(usage);
}

/** Usage of a parsed `usage` object, in either wire format; undefined when it is not an object. */
function usageOfObject(parsed: unknown): Usage | undefined {
  if (!parsed || typeof parsed !== 'object') return undefined;
  const usage = parsed as OpenAiUsage & AnthropicUsage;
  const cached = (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
  return {
    inputTokens: (usage.prompt_tokens ?? usage.input_tokens ?? 0) + cached,
    outputTokens: usage.completion_tokens ?? usage.output_tokens ?? 0,
  };
}

/** Reads usage off a stream's events as they pass, without parsing those that cannot carry it. */
export interface StreamUsageReader {
  /** Sees one event's `data:` payload; true when it was a usage-only chunk (OpenAI, `choices: []`). */
  see(data: string): boolean;
  usage(): Usage | undefined;
  /** False when no event in these raw bytes can carry usage: `see` would ignore every one of them. */
  mayCarryUsage(chunk: Buffer): boolean;
}

/**
 * Texts an OpenAI-style stream event contains when it carries usage (an object, not the `null` of
 * other chunks): compact JSON, and Python's `json.dumps` default spacing, which some compatible servers send.
 */
const OPENAI_USAGE_KEYS = ['"usage":{', '"usage": {'];
const OPENAI_USAGE_MARKERS = OPENAI_USAGE_KEYS.map((key) => Buffer.from(key));
/** Text an Anthropic stream event must contain to carry usage. */
const ANTHROPIC_USAGE_KEY = '"usage"';
const ANTHROPIC_USAGE_MARKER = Buffer.from(ANTHROPIC_USAGE_KEY);

/** OpenAI: the final chunk with `choices: []` and `usage` (asked for with `stream_options.include_usage`). */
export function openAiStreamUsage(): StreamUsageReader {
  let found: Usage | undefined;
  return {
    see(data) {
      if (!OPENAI_USAGE_KEYS.some((key) => data.includes(key))) return false;
      found = usageOfJson(data) ?? found;
      return /"choices"\s*:\s*\[\s*\]/.test(data);
    },
    usage: () => found,
    mayCarryUsage: (chunk) => OPENAI_USAGE_MARKERS.some((marker) => chunk.includes(marker)),
  };
}

/** Anthropic: input tokens in `message_start`, output tokens (cumulative) in `message_delta`. */
export function anthropicStreamUsage(): StreamUsageReader {
  let input = 0;
  let output = 0;
  let seen = false;
  return {
    see(data) {
      if (!data.includes(ANTHROPIC_USAGE_KEY)) return false;
      try {
        const event = JSON.parse(data) as { type?: string; message?: { usage?: AnthropicUsage }; usage?: AnthropicUsage };
        const u = event.type === 'message_start' ? event.message?.usage : event.usage;
        if (u) {
          seen = true;
          const cached = (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
          if (u.input_tokens !== undefined) input = Math.max(input, u.input_tokens + cached);
          if (u.output_tokens !== undefined) output = Math.max(output, u.output_tokens);
        }
      } catch {
        // not JSON: nothing to read
      }
      return false;
    },
    usage: () => (seen ? { inputTokens: input, outputTokens: output } : undefined),
    mayCarryUsage: (chunk) => chunk.includes(ANTHROPIC_USAGE_MARKER),
  };
}

/** The Responses API's closing events carry the whole Response, its `usage` inside: `{"type":"response.completed","response":{…,"usage":{…}}}`. */
const RESPONSES_CLOSING_MARKERS = ['"response.completed"', '"response.incomplete"', '"response.failed"'].map((key) => Buffer.from(key));

/** OpenAI's Responses API: usage in the Response of the closing event (`response.completed`, `.incomplete`, `.failed`). */
export function responsesStreamUsage(): StreamUsageReader {
  let found: Usage | undefined;
  return {
    see(data) {
      if (!OPENAI_USAGE_KEYS.some((key) => data.includes(key))) return false;
      try {
        const event = JSON.parse(data) as { response?: { usage?: unknown } } | null;
        found = usageOfObject(event?.response?.usage) ?? found;
      } catch {
        // not JSON: nothing to read
      }
      // Never dropped: the closing event is the client's too.
      return false;
    },
    usage: () => found,
    mayCarryUsage: (chunk) => RESPONSES_CLOSING_MARKERS.some((marker) => chunk.includes(marker)),
  };
}
