import {
  adaptChatReasoning,
  budgetOfEffort,
  chatOutputTokensField,
  chatReasoningStyle,
  clampedOutputTokens,
  effortOfBudget,
  limitedOutputFields,
} from '../../../src/dataplane/translate/output-tokens';
import { PROVIDER_TYPES } from '../../../src/specs';

describe('output tokens per backend', () => {
  test('OpenAI and Azure OpenAI take max_completion_tokens; every other OpenAI-compatible provider max_tokens', () => {
    expect(Object.fromEntries(PROVIDER_TYPES.map((p) => [p, chatOutputTokensField(p)]))).toEqual({
      'openai': 'max_completion_tokens',
      'azure-openai': 'max_completion_tokens',
      'dashscope': 'max_tokens',
      'deepseek': 'max_tokens',
      'vllm': 'max_tokens',
      'ollama': 'max_tokens',
      'anthropic': 'max_tokens',
      'openai-compatible': 'max_tokens',
    });
  });

  test('reasoning is asked of OpenAI and Azure reasoning models by effort, of Qwen3 models by enable_thinking, of no one else', () => {
    // The same names for every provider: only the provider's reasoning models take its field.
    expect(Object.fromEntries(PROVIDER_TYPES.map((p) => [p, chatReasoningStyle(p, 'gpt-4o') ?? chatReasoningStyle(p, 'qwen-max') ?? null]))).toEqual(
      Object.fromEntries(PROVIDER_TYPES.map((p) => [p, null])),
    );
    expect(Object.fromEntries(PROVIDER_TYPES.map((p) => [p, chatReasoningStyle(p, p === 'dashscope' ? 'qwen-plus' : 'o3') ?? null]))).toEqual({
      'openai': 'reasoning_effort',
      'azure-openai': 'reasoning_effort',
      'dashscope': 'enable_thinking',
      'deepseek': null,
      'vllm': null,
      'ollama': null,
      'anthropic': null,
      'openai-compatible': null,
    });
  });

  test('clampedOutputTokens: the ask, at most the limit; nothing asked stays nothing', () => {
    expect(clampedOutputTokens(5000, { provider: 'openai', maxOutputTokens: 1000 })).toBe(1000);
    expect(clampedOutputTokens(500, { provider: 'openai', maxOutputTokens: 1000 })).toBe(500);
    expect(clampedOutputTokens(1000, { provider: 'openai', maxOutputTokens: 1000 })).toBe(1000);
    expect(clampedOutputTokens(5000, { provider: 'openai' })).toBe(5000);
    expect(clampedOutputTokens(undefined, { provider: 'openai', maxOutputTokens: 1000 })).toBeUndefined();
  });
});

describe('limitedOutputFields (identity translators)', () => {
  test('each field over the limit is lowered to it; the rest of the body is not in the changes', () => {
    expect(limitedOutputFields({ model: 'm', max_tokens: 5000 }, 1000)).toEqual({ max_tokens: 1000 });
    expect(limitedOutputFields({ model: 'm', max_completion_tokens: 5000 }, 1000)).toEqual({ max_completion_tokens: 1000 });
    expect(limitedOutputFields({ model: 'm', max_output_tokens: 5000 }, 1000)).toEqual({ max_output_tokens: 1000 });
    expect(limitedOutputFields({ max_tokens: 5000, max_completion_tokens: 3000 }, 1000)).toEqual({ max_tokens: 1000, max_completion_tokens: 1000 });
  });

  test('undefined (the fast path) when nothing exceeds, when there is no limit, or when a field is not a number', () => {
    expect(limitedOutputFields({ max_tokens: 1000, max_completion_tokens: 10 }, 1000)).toBeUndefined();
    expect(limitedOutputFields({ messages: [] }, 1000)).toBeUndefined();
    expect(limitedOutputFields({ max_tokens: 5000 }, undefined)).toBeUndefined();
    expect(limitedOutputFields({ max_tokens: '5000', max_output_tokens: null }, 1000)).toBeUndefined();
  });

  test('an enabled thinking budget that no longer fits under the lowered max_tokens goes just below it', () => {
    const claudeCode = { max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 31999 } };
    expect(limitedOutputFields(claudeCode, 8192)).toEqual({ max_tokens: 8192, thinking: { type: 'enabled', budget_tokens: 8191 } });
    // A budget that still fits, adaptive thinking, and a limit below Anthropic's minimum budget are left alone.
    expect(limitedOutputFields({ max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 2048 } }, 8192)).toEqual({ max_tokens: 8192 });
    expect(limitedOutputFields({ max_tokens: 32000, thinking: { type: 'adaptive' } }, 8192)).toEqual({ max_tokens: 8192 });
    expect(limitedOutputFields({ max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 4000 } }, 1000)).toEqual({ max_tokens: 1000 });
  });
});

describe('thinking budget ⇄ reasoning effort', () => {
  test('effortOfBudget: under 4,096 low, under 16,384 medium, else high', () => {
    expect([1024, 4095, 4096, 16383, 16384, 64000].map(effortOfBudget)).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high']);
  });

  test('budgetOfEffort: the effort budget below max_tokens; none for none/minimal or without room for 1,024', () => {
    expect(budgetOfEffort('low', 32000)).toBe(2048);
    expect(budgetOfEffort('medium', 32000)).toBe(4096);
    expect(budgetOfEffort('high', 32000)).toBe(16384);
    expect(budgetOfEffort('xhigh', 64000)).toBe(32768);
    expect(budgetOfEffort('high', 8000)).toBe(7999);
    expect(budgetOfEffort('low', 1025)).toBe(1024);
    expect(budgetOfEffort('low', 1024)).toBeUndefined();
    expect(budgetOfEffort('none', 32000)).toBeUndefined();
    expect(budgetOfEffort('minimal', 32000)).toBeUndefined();
  });

  test('a round trip keeps the effort', () => {
    for (const effort of ['low', 'medium', 'high'] as const) expect(effortOfBudget(budgetOfEffort(effort, 100_000)!)).toBe(effort);
  });
});

describe("adaptChatReasoning: a Responses client's reasoning.effort in the field the backend reads", () => {
  const chat = (extra: Record<string, unknown>) => ({ model: 'm', messages: [], reasoning_effort: 'medium', ...extra });
  test('kept for OpenAI reasoning models; a Qwen3 budget when streaming; not sent where no equivalent exists', () => {
    const openai = chat({});
    adaptChatReasoning(openai, 'o3', { provider: 'openai' });
    expect(openai.reasoning_effort).toBe('medium');
    const qwen = chat({ stream: true });
    adaptChatReasoning(qwen, 'qwen-plus', { provider: 'dashscope' });
    expect(qwen).toEqual({ model: 'm', messages: [], stream: true, enable_thinking: true, thinking_budget: 4096 });
    const whole = chat({});
    adaptChatReasoning(whole, 'qwen-plus', { provider: 'dashscope' });
    expect(whole).toEqual({ model: 'm', messages: [], enable_thinking: false });
    // Open-source Qwen3 thinks by default and refuses that on a whole answer: off, even when no effort was asked.
    const unasked = { model: 'm', messages: [] };
    adaptChatReasoning(unasked, 'qwen3-32b', { provider: 'dashscope' });
    expect(unasked).toEqual({ model: 'm', messages: [], enable_thinking: false });
    const deepseek = chat({});
    adaptChatReasoning(deepseek, 'deepseek-reasoner', { provider: 'deepseek' });
    expect(deepseek).toEqual({ model: 'm', messages: [] });
  });
});
