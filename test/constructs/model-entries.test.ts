import { configOf, fleetStack, openAi, synth, synthError } from './fixtures';

/** Props as a plain-JS caller could pass them: TypeScript is not there to stop them. */
const untyped = (props: object): any => props;

describe('ModelProps.maxOutputTokens and listAs', () => {
  test('render into the model entry; absent, they are absent from the config', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const backend = openAi();
    g.addModelRoute('r', {
      models: [
        { name: 'gpt-4o', targets: [{ backend }], maxOutputTokens: 16384 },
        { name: 'qwen-*', targets: [{ backend, model: '*' }], listAs: ['qwen-max', 'qwen-plus'] },
        { name: 'plain', targets: [{ backend }] },
      ],
    });
    const models = configOf(synth(stack), 'g').modelRoutes[0].models;
    expect(models.map((m) => [m.name, m.maxOutputTokens, m.listAs])).toEqual([
      ['gpt-4o', 16384, undefined],
      ['qwen-*', undefined, ['qwen-max', 'qwen-plus']],
      ['plain', undefined, undefined],
    ]);
    expect(Object.keys(models[2]).sort()).toEqual(['aliases', 'fallbacks', 'name', 'targets']);
  });

  test.each([[0], [-5], [1.5], ['8192']])('maxOutputTokens %p fails synth, naming the route, model, value and fix', (value) => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const route = g.addModelRoute('r', { models: [untyped({ name: 'gpt-4o', targets: [{ backend: openAi() }], maxOutputTokens: value })] });
    expect(synthError(stack)).toContain(
      `[model-entries] ModelRoute 'r' (${route.node.path}): model 'gpt-4o' has maxOutputTokens ${JSON.stringify(value)}, but it must be a whole number of tokens, 1 or more. Set it to the model's output limit (e.g. 8192), or leave it out for no limit.`,
    );
  });

  test('listAs on a model without a wildcard fails', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const route = g.addModelRoute('r', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }], listAs: ['gpt-4o'] }] });
    expect(synthError(stack)).toContain(
      `ModelRoute 'r' (${route.node.path}): model 'gpt-4o' has listAs, but it is no wildcard: /v1/models lists its own name and aliases already. Remove listAs, or put a '*' in the name (e.g. 'gpt-4o-*').`,
    );
  });

  test('a listAs name the pattern does not match, or a pattern in listAs, fails; a name a wildcard alias matches passes', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const route = g.addModelRoute('r', {
      models: [{ name: 'qwen-*', aliases: ['tongyi-*'], targets: [{ backend: openAi(), model: '*' }], listAs: ['qwen-max', 'tongyi-plus', 'gpt-4o', 'qwen-*'] }],
    });
    const message = synthError(stack);
    const at = `ModelRoute 'r' (${route.node.path})`;
    expect(message).toContain(
      `${at}: model 'qwen-*' lists 'gpt-4o' in listAs, but 'qwen-*' or 'tongyi-*' does not match it, so a client that picks it from /v1/models would not reach this model. List only names the pattern matches, or widen the pattern.`,
    );
    expect(message).toContain(`${at}: model 'qwen-*' lists "qwen-*" in listAs, but each entry must be one model name without '*' (a pattern cannot be requested). Use a name such as 'qwen-max'.`);
    expect(message).not.toContain("'qwen-max' in listAs");
    expect(message).not.toContain("'tongyi-plus' in listAs");

    const ok = fleetStack();
    ok.fleet
      .addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' })
      .addModelRoute('r', { models: [{ name: 'qwen-*', aliases: ['tongyi-*'], targets: [{ backend: openAi(), model: '*' }], listAs: ['qwen-max', 'tongyi-plus'], maxOutputTokens: 8192 }] });
    expect(() => synth(ok.stack)).not.toThrow();
  });
});
