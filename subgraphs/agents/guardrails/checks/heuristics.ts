import { z } from 'zod';
import type { CheckOutcome } from './types.js';

/**
 * Jailbreak and prompt-injection heuristics: weighted patterns over a normalized text, summed into
 * a score (capped at 1) compared with a threshold. Patterns match the normalized text (lowercase,
 * NFKC, zero-width characters removed, common digit-for-letter swaps undone, punctuation as single
 * spaces, and letters spelled out one by one — `i g n o r e` — joined back); `raw` patterns match
 * the text as written (role markers, markdown).
 */
export interface HeuristicPattern {
  id: string;
  weight: number;
  pattern: RegExp;
  raw?: boolean;
}

export const HeuristicConfig = z
  .object({
    threshold: z
      .number()
      .min(0.05)
      .max(1)
      .default(0.5)
      .describe('Score (0–1, the capped sum of matched pattern weights) at which the text is flagged.'),
    blocked_phrases: z
      .array(z.string().min(2).max(200))
      .max(200)
      .default([])
      .describe('Extra phrases that flag the text on their own (matched on the normalized text).'),
  })
  .strict();
export type HeuristicConfig = z.output<typeof HeuristicConfig>;

const IGNORE_INSTRUCTIONS =
  /\b(?:ignore|disregard|forget|skip|override|bypass) (?:(?:all|any|every|the|your|my|of|these|those|previous|prior|above|earlier|preceding|former|initial|original|system|safety|other) )*(?:instructions?|rules|prompts?|directions|guidelines|directives|programming|constraints)\b/;

export const JAILBREAK_PATTERNS: readonly HeuristicPattern[] = [
  { id: 'ignore_instructions', weight: 0.5, pattern: IGNORE_INSTRUCTIONS },
  {
    id: 'dan',
    weight: 0.6,
    pattern: /\b(?:do anything now|dan mode|you are dan|act as dan|dan prompt|dan jailbreak)\b/,
  },
  {
    id: 'special_mode',
    weight: 0.6,
    pattern: /\b(?:developer|god|debug|sudo|unrestricted|jailbreak|jailbroken|opposite|evil) mode\b/,
  },
  { id: 'jailbreak_word', weight: 0.4, pattern: /\bjailbr(?:eak|eaks|oken|eaking)\b/ },
  {
    id: 'no_restrictions',
    weight: 0.35,
    pattern:
      /\b(?:without|no|free from|remove|removed|disable|disabled) (?:(?:any|all|your|the|of|content) )*(?:restrictions|limitations|filters?|censorship|safeguards|safety (?:guidelines|filters|measures)|ethical (?:guidelines|constraints|restrictions|limits)|moral (?:guidelines|constraints|limits))\b/,
  },
  {
    id: 'persona_switch',
    weight: 0.2,
    pattern:
      /\b(?:you are now|from now on you (?:are|will|must)|pretend (?:to be|you are)|roleplay as|role play as|imagine you are)\b/,
  },
  {
    id: 'unfiltered_persona',
    weight: 0.4,
    pattern:
      /\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|evil|rogue) (?:ai|assistant|chatbot|model|version|persona|character|bot)\b/,
  },
  {
    id: 'bypass_safety',
    weight: 0.5,
    pattern:
      /\b(?:bypass|circumvent|evade|get around|disable|turn off|ignore) (?:(?:your|the|all|any|its|openai s|content) )*(?:safety|moderation|filters?|restrictions|guidelines|policies|policy|guardrails|safeguards|content policy)\b/,
  },
  {
    id: 'stay_in_character',
    weight: 0.3,
    pattern: /\b(?:stay in character|never break character|do not break character|don t break character)\b/,
  },
  {
    id: 'never_refuse',
    weight: 0.3,
    pattern:
      /\b(?:never refuse|you cannot refuse|you can t refuse|must not refuse|do not refuse|don t refuse|never say no|without refusing)\b/,
  },
  {
    id: 'hypothetical_framing',
    weight: 0.15,
    pattern:
      /\b(?:hypothetically|in a fictional world|purely hypothetical|for a (?:novel|story|movie) where)\b/,
  },
];

export const PROMPT_INJECTION_PATTERNS: readonly HeuristicPattern[] = [
  { id: 'ignore_instructions', weight: 0.6, pattern: IGNORE_INSTRUCTIONS },
  {
    id: 'override_instructions',
    weight: 0.5,
    pattern:
      /\b(?:override|overwrite|replace|supersede) (?:(?:the|your|all|any|previous|prior|existing|current) )*(?:instructions?|rules|system prompt|guidelines|programming)\b/,
  },
  {
    id: 'new_instructions',
    weight: 0.4,
    pattern:
      /\b(?:new|updated|revised|real|actual|secret|hidden) (?:system )?(?:instructions?|directives?)\b/,
  },
  {
    id: 'system_prompt_mention',
    weight: 0.3,
    pattern: /\b(?:system|developer) (?:prompt|message|override|command)\b/,
  },
  {
    id: 'reveal_prompt',
    weight: 0.5,
    pattern:
      /\b(?:reveal|print|show|display|repeat|output|leak|tell me|give me|write out|what is|what are) (?:(?:me|us|your|the|all|of|this|full|exact|entire) )*(?:system prompt|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|original (?:prompt|instructions)|secret instructions|instructions you were given|prompt above)\b/,
  },
  {
    id: 'covert_action',
    weight: 0.5,
    pattern:
      /\b(?:do not|don t|never|without) (?:tell|telling|inform|informing|mention|mentioning|alert|alerting|notify|notifying) (?:the )?(?:user|human|operator)\b/,
  },
  {
    id: 'exfiltrate',
    weight: 0.5,
    pattern:
      /\b(?:send|forward|post|upload|email|exfiltrate|transmit|leak) (?:(?:the|all|any|this|these|your|my|user s|users|their) )*(?:data|conversation(?: history)?|chat history|history|credentials|passwords?|api keys?|secrets?|tokens?|personal information|files?) to\b/,
  },
  {
    id: 'role_markers',
    weight: 0.5,
    raw: true,
    pattern:
      /<\|im_start\|>|<\|im_end\|>|<\|system\|>|\[\/?INST\]|<<SYS>>|^[ \t]*(?:system|assistant)[ \t]*:/im,
  },
  { id: 'redirect_task', weight: 0.25, pattern: /\b(?:instead|now) you (?:must|should|will|need to)\b/ },
  {
    id: 'end_of_prompt',
    weight: 0.4,
    pattern: /\b(?:end of|ignore the) (?:system|user|previous) (?:prompt|message|instructions)\b/,
  },
  {
    id: 'markdown_exfiltration',
    weight: 0.5,
    raw: true,
    pattern: /!\[[^\]\n]{0,200}\]\(https?:\/\/[^)\s]{1,500}\?[^)\s]{0,500}=/i,
  },
  {
    id: 'addresses_the_ai',
    weight: 0.2,
    pattern:
      /\b(?:attention|note to|dear|hey|instructions for) (?:the )?(?:ai|assistant|chatbot|llm|language model|gpt|agent)\b/,
  },
];

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};

/**
 * The normalized text the patterns match (letter-by-letter runs joined: `i g n o r e` → `ignore`),
 * and whether it had such runs.
 */
export function normalizeForHeuristics(text: string): { text: string; spelled: boolean } {
  const lowered = text
    .normalize('NFKC')
    .replace(/[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/g, '')
    .toLowerCase()
    // Digits and symbols standing for letters inside words: `ign0re`, `j@ilbreak`.
    .replace(/(?<=\p{L})[013457@$]|[013457@$](?=\p{L})/gu, (c) => LEET[c] ?? c)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  let spelled = false;
  const joined = lowered.replace(/(?<![\p{L}\p{N}])(?:\p{L} ){3,}\p{L}(?![\p{L}\p{N}])/gu, (run) => {
    spelled = true;
    return run.replace(/ /g, '');
  });
  return { text: joined, spelled };
}

/** The pattern for text whose word spaces are gone (spelled-out words lose their boundaries). */
function compact(pattern: RegExp): RegExp {
  return new RegExp(pattern.source.replace(/\\b/g, '').replace(/ /g, ''), pattern.flags);
}

const compactCache = new WeakMap<RegExp, RegExp>();

/** Score and matched pattern ids of `text` against a pattern list. */
export function scoreHeuristics(
  text: string,
  patterns: readonly HeuristicPattern[],
  blockedPhrases: readonly string[] = [],
): { score: number; matched: string[] } {
  const { text: normalized, spelled } = normalizeForHeuristics(text);
  // Spelled-out words have no boundaries left: such a text is also matched without any spaces.
  const squeezed = spelled ? normalized.replace(/ /g, '') : '';
  const matched: string[] = [];
  let score = 0;
  for (const p of patterns) {
    let hit = p.pattern.test(p.raw ? text : normalized);
    if (!hit && !p.raw && spelled) {
      let c = compactCache.get(p.pattern);
      if (!c) {
        c = compact(p.pattern);
        compactCache.set(p.pattern, c);
      }
      hit = c.test(squeezed);
    }
    if (hit) {
      matched.push(p.id);
      score += p.weight;
    }
  }
  for (const phrase of blockedPhrases) {
    const needle = normalizeForHeuristics(phrase).text;
    if (needle && ` ${normalized} `.includes(` ${needle} `)) {
      matched.push(`phrase:${phrase}`);
      score += 1;
    }
  }
  return { score: Math.min(1, Math.round(score * 1000) / 1000), matched };
}

function heuristicCheck(patterns: readonly HeuristicPattern[]) {
  return (text: string, config: HeuristicConfig): CheckOutcome => {
    const { score, matched } = scoreHeuristics(text, patterns, config.blocked_phrases);
    const flagged = score >= config.threshold;
    return {
      tripwire_triggered: flagged,
      flagged,
      confidence: score,
      details: { score, threshold: config.threshold, matched_patterns: matched },
    };
  };
}

/** Jailbreak attempts in a user's message. */
export const checkJailbreak = heuristicCheck(JAILBREAK_PATTERNS);
/** Instructions smuggled into a message, a tool's arguments or a tool's result. */
export const checkPromptInjection = heuristicCheck(PROMPT_INJECTION_PATTERNS);
