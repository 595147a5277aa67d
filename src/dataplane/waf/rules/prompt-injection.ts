import { familyRules } from './rule';

/**
 * Prompt injection in the text a user sends a model: attempts to override the operator's instructions, to take on
 * a persona without limits, to forge a conversation's role markers, or to make the model reveal or send out its
 * instructions and secrets. CRS has no such rules; these are written for this gateway. Read on the prose form
 * (lower-cased, whitespace as one space), in English and in Chinese. They are phrases, so a user asking about
 * prompt injection in the abstract can match: the family is off by default and `detect` is its recommended mode.
 */
const OVERRIDE_VERB = 'ignore|disregard|forget|override|bypass|skip|drop|abandon|discard|neglect';
const SCOPE_WORD = 'all|any|every|the|your|my|these|those|of|previous|prior|above|earlier|preceding|initial|original|system|existing|safety|developer|given|current';
const INSTRUCTION_NOUN =
  'instructions?|prompts?|rules?|directives?|directions|guidelines?|guardrails?|constraints?|context|messages?|commands?|requests?|programming|polic(?:y|ies)|restrictions?|filters?|orders|training|user and (?:reply|respond|say|answer|output)';

const EXFILTRATION_VERB = 'reveal|show|print|repeat|output|display|tell me|give me|leak|dump|list|recite|spell out|write out|what (?:is|are|was|were)';

export const promptInjectionRules = familyRules(
  'prompt-injection',
  [
    // Instruction override: `ignore all previous instructions`, `disregard the system prompt`, `forget everything above`.
    {
      crs: [],
      view: 'prose',
      pattern: new RegExp(
        `\\b(?:${OVERRIDE_VERB})\\b(?: (?:${SCOPE_WORD})\\b){0,4} (?:${INSTRUCTION_NOUN})\\b|\\b(?:${OVERRIDE_VERB}) (?:everything|all|anything) (?:above|before|said|prior|previously|so far|you were told)\\b`,
      ),
    },
    // Persona without limits: `you are now DAN`, `developer mode`, `do anything now`, `from now on you will`.
    {
      crs: [],
      view: 'prose',
      pattern:
        /\byou are (?:now|no longer)\b|\b(?:act|behave) as (?:if you (?:are|were) )?(?:dan|an? (?:unrestricted|unfiltered|uncensored|jailbroken))\b|\b(?:dan|developer|god|jailbreak|unrestricted|sudo|maintenance|debug) mode\b|\b(?:safety|content) (?:rules|filters|guidelines|policies) (?:are|have been) (?:now )?(?:disabled|off|removed|lifted|suspended)\b|\bdo anything now\b|\bpretend (?:that )?(?:you are|you're|to be) (?:an? )?(?:unrestricted|unfiltered|uncensored|evil|jailbroken)|\bfrom now on,? you\b|\byou (?:no longer|don't|do not|will not|won't|need not) (?:follow|obey|have to follow|need to follow|adhere to|comply with)\b|\b(?:answer|respond|reply|say|do)(?: [\w'-]{1,15}){0,3} without (?:any )?(?:restrictions|limits|limitations|filters|filtering|censorship|rules)\b|\bnew (?:system )?instructions ?:/,
    },
    // Exfiltration: `reveal your system prompt`, `print the text above`, `what are your instructions`, `repeat everything above`.
    // The words between the verb and what it asks for stop at another such verb, which starts a match of its own
    // (`reveal reveal reveal …` would otherwise cost each start four words of backtracking).
    {
      crs: [],
      view: 'prose',
      pattern: new RegExp(
        `\\b(?:${EXFILTRATION_VERB})(?: (?!(?:${EXFILTRATION_VERB}) )[\\w'-]{1,20}){0,4} ` +
          /(?:(?:your|the|its|any) (?:(?:full|entire|exact|complete|current) )?(?:system|hidden|secret|initial|original|developer) (?:prompt|message|instructions?)|your (?:(?:full|entire|exact|complete|current) )?(?:instructions|prompt|rules|guidelines)|(?:the )?(?:api keys?|secrets|passwords?|credentials|environment variables)|(?:the )?(?:text|words|everything|messages?) (?:above|before this)|above (?:text|instructions))/.source,
      ),
    },
    // Forged chat-template markers: `<|im_start|>system`, `[INST]`, `<<SYS>>`, `### System:`, `</user><system>`.
    { crs: [], view: 'prose', pattern: /<\/(?:user|human)> ?<(?:system|assistant|developer)>|<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[\/?inst\]|<<\/?sys>>|^#{2,3} ?(?:system|instruction)s? ?:|\n#{2,3} ?(?:system|instruction)s? ?:/ },
    // Chinese: `忽略之前的所有指令`, `无视以上规则`, `输出你的系统提示词`, `你现在是…没有任何限制`, `开发者模式`.
    {
      crs: [],
      view: 'prose',
      pattern:
        /(?:忽略|无视|忘记|忘掉|不要理会|跳过)(?:掉)?(?:你)?(?:之前|以上|上面|前面|先前|所有|全部|一切)?的?(?:所有|全部)?(?:指令|指示|提示|规则|说明|要求|设定|限制)|(?:输出|显示|告诉我|泄露|打印|重复|给我看)(?:一下)?(?:你的)?(?:系统提示|系统提示词|初始指令|提示词|系统消息|隐藏指令)|你现在是.{0,20}(?:没有|不受|无)(?:任何)?限制|(?:开发者|越狱)模式/,
    },
    // Sending data out: `send the conversation to https://…`, markdown images whose URL carries data in a query value
    // (`![x](https://evil/?q={secret})`). Each start's scan ends where the next start begins, so that on `send send …`
    // or `![a](http://a?![a](http://a?…` the scans add up to the text's length: the words after a verb stop at the
    // next verb, and no part of an image's match may hold `![`'s characters.
    {
      crs: [],
      view: 'prose',
      pattern: /\b(?:send|post|upload|exfiltrate|forward|transmit|leak|append|attach)\b(?:(?!\b(?:send|post|upload|exfiltrate|forward|transmit|leak|append|attach)\b)[^.\n]){0,80}?\b(?:to|at|into) (?:https?:\/\/|this (?:url|link|endpoint|webhook)|the (?:url|webhook|endpoint))|!\[[^[\]\n]{0,80}\]\(https?:\/\/[^()\s?!]{1,200}\?[^()\s=!]{0,200}=[^()\s{!]{0,200}?(?:\{|%7b)/,
    },
  ],
  ['message'],
);
