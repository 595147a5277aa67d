/**
 * Output tokens on the way upstream: which field a backend reads the limit from, the model entry's
 * `maxOutputTokens` applied to what a client asks, and how a thinking budget (Anthropic) and a
 * reasoning effort (OpenAI) stand for each other. Pure: the translators call these.
 */
import { isObject, type Json } from './read';
import type { PayloadTarget } from './translator';
import type { ProviderType } from '../../specs';

/**
 * The field an OpenAI-style chat backend reads the output limit from. OpenAI and Azure OpenAI take
 * `max_completion_tokens` (their reasoning models reject `max_tokens`, and it counts reasoning tokens
 * too); the other OpenAI-compatible servers (DashScope, DeepSeek, vLLM, Ollama…) read `max_tokens`,
 * and some of them ignore `max_completion_tokens`.
 */
export function chatOutputTokensField(provider: ProviderType): 'max_tokens' | 'max_completion_tokens' {
  return provider === 'openai' || provider === 'azure-openai' ? 'max_completion_tokens' : 'max_tokens';
}

/** What the client asked for, lowered to the model entry's limit; undefined when neither says anything. */
export function clampedOutputTokens(requested: number | undefined, target: PayloadTarget): number | undefined {
  const limit = target.maxOutputTokens;
  if (requested === undefined) return undefined;
  return limit === undefined ? requested : Math.min(requested, limit);
}

/**
 * The output-limit fields of the APIs the identity translators pass through: chat and completions
 * (`max_tokens`, `max_completion_tokens`), Responses (`max_output_tokens`), Anthropic Messages (`max_tokens`).
 */
const LIMIT_FIELDS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const;

/** Anthropic's smallest thinking budget: a request with less is refused, so none is sent instead. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * A same-protocol body's changes for the limit: each limit field asking for more than `limit`, set to it,
 * or undefined when none does (the client's bytes then go as they are). A field that is not a number is
 * left for the upstream to refuse. On Anthropic, an enabled `thinking.budget_tokens` must stay below
 * `max_tokens`: when the lowered `max_tokens` no longer leaves room, the budget goes to `max_tokens - 1`
 * (Claude Code sends a budget just under a large `max_tokens`); below Anthropic's minimum budget the
 * upstream's refusal names the problem better than a silent change could.
 */
export function limitedOutputFields(body: Json, limit: number | undefined): Json | undefined {
  if (limit === undefined) return undefined;
  let changes: Json | undefined;
  for (const field of LIMIT_FIELDS) {
    const asked = body[field];
    if (typeof asked === 'number' && asked > limit) (changes ??= {})[field] = limit;
  }
  if (changes?.max_tokens !== undefined && isObject(body.thinking) && body.thinking.type === 'enabled') {
    const budget = body.thinking.budget_tokens;
    if (typeof budget === 'number' && budget >= limit && limit - 1 >= MIN_THINKING_BUDGET) changes.thinking = { ...body.thinking, budget_tokens: limit - 1 };
  }
  return changes;
}

/** The OpenAI reasoning efforts this gateway maps; others are refused by name. */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/**
 * The thinking budget an effort stands for (Anthropic `budget_tokens`); undefined for no thinking.
 * `effortOfBudget` maps each back to its effort (`xhigh` to `high`), so a round trip keeps it.
 */
const EFFORT_BUDGETS: { readonly [E in ReasoningEffort]: number | undefined } = {
  none: undefined,
  minimal: undefined,
  low: 2_048,
  medium: 4_096,
  high: 16_384,
  xhigh: 32_768,
};

/**
 * The effort a thinking budget stands for. Thresholds: under 4,096 tokens `low`, under 16,384 `medium`,
 * else `high` (OpenAI's `xhigh` is not sent: few models take it, and `high` is the common ceiling).
 */
export function effortOfBudget(budgetTokens: number): 'low' | 'medium' | 'high' {
  if (budgetTokens < EFFORT_BUDGETS.medium!) return 'low';
  if (budgetTokens < EFFORT_BUDGETS.high!) return 'medium';
  return 'high';
}

/**
 * The thinking budget for an effort under a `max_tokens` (Anthropic counts thinking in it, as OpenAI counts
 * reasoning in `max_completion_tokens`): the effort's budget, kept below `max_tokens`; undefined when the
 * effort asks for no thinking or `max_tokens` leaves no room for Anthropic's minimum budget.
 */
export function budgetOfEffort(effort: ReasoningEffort, maxTokens: number): number | undefined {
  const wanted = EFFORT_BUDGETS[effort];
  if (wanted === undefined) return undefined;
  const budget = Math.min(wanted, maxTokens - 1);
  return budget >= MIN_THINKING_BUDGET ? budget : undefined;
}

/**
 * How an OpenAI-compatible backend is asked to think, when a Claude-style client enables thinking:
 * OpenAI's and Azure OpenAI's reasoning models read `reasoning_effort`; DashScope's Qwen3 models read `enable_thinking` and
 * `thinking_budget` (a budget in tokens, as Anthropic's). DeepSeek picks thinking by model, and vLLM,
 * Ollama and other servers differ per model and template (an unknown field may be refused): nothing is sent.
 */
export type ChatReasoningStyle = 'reasoning_effort' | 'enable_thinking' | undefined;

export function chatReasoningStyle(provider: ProviderType, servedModel: string): ChatReasoningStyle {
  // Only models that take the field: OpenAI refuses `reasoning_effort` on gpt-4o, and a Claude client's thinking
  // (Claude Code turns it on) must not turn an answerable request into a 400. The rest think by model, or not at all.
  if ((provider === 'openai' || provider === 'azure-openai') && OPENAI_REASONING_MODELS.test(servedModel)) return 'reasoning_effort';
  if (provider === 'dashscope' && QWEN_THINKING_MODELS.test(servedModel)) return 'enable_thinking';
  return undefined;
}

/** OpenAI's reasoning models, which take `reasoning_effort`: the o-series and GPT-5. */
const OPENAI_REASONING_MODELS = /^(o\d|gpt-5)/i;
/** DashScope's models with switchable thinking (`enable_thinking`): Qwen3 and the Qwen3-based commercial models. */
const QWEN_THINKING_MODELS = /^(qwen3|qwen-plus|qwen-flash|qwen-turbo)/i;

/**
 * A chat request's `reasoning_effort` (from a Responses client's `reasoning.effort`) in the field the backend
 * reads: kept for OpenAI's reasoning models; DashScope's Qwen3 models take `enable_thinking` and a budget (when
 * streaming: they think only then; a whole answer is asked for with `enable_thinking: false`); other backends have no equivalent (DeepSeek thinks by model; vLLM and Ollama
 * differ per model and may refuse the field), and it is not sent. Changes `chat` in place.
 */
export function adaptChatReasoning(chat: Record<string, unknown>, servedModel: string, target: PayloadTarget): void {
  const style = chatReasoningStyle(target.provider, servedModel);
  if (style === 'reasoning_effort') return;
  const effort = chat.reasoning_effort;
  delete chat.reasoning_effort;
  if (style !== 'enable_thinking') return;
  // Qwen3 models think only when streaming, and the open-source ones by default: a whole answer is asked for with thinking off.
  if (chat.stream !== true) {
    chat.enable_thinking = false;
    return;
  }
  if ((REASONING_EFFORTS as readonly unknown[]).includes(effort)) {
    const budget = EFFORT_BUDGETS[effort as ReasoningEffort];
    Object.assign(chat, budget === undefined ? { enable_thinking: false } : { enable_thinking: true, thinking_budget: budget });
  }
}
