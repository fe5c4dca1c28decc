/** The built-in agents are well-formed: declared variables, known tools, presets and handoffs. */
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_AGENTS,
  builtinAgent,
  DEFAULT_AGENT_KEY,
  defaultBuiltinAgent,
} from '../../../subgraphs/agents/catalog/builtin-agents.js';
import { BUILTIN_TOOL_NAMES, PROVIDER_TOOLS } from '../../../subgraphs/agents/catalog/builtin-tools.js';
import { GUARDRAIL_PRESET_KEYS } from '../../../subgraphs/agents/guardrails/preset-keys.js';

const placeholders = (template: string) =>
  [...template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]);

describe('built-in agents', () => {
  it('ship triage as the one default, handing off to code_assistant and researcher', () => {
    expect(BUILTIN_AGENTS.filter((a) => a.isDefault).map((a) => a.key)).toEqual([DEFAULT_AGENT_KEY]);
    expect(defaultBuiltinAgent().key).toBe('triage');
    expect(builtinAgent('triage')?.handoffs).toEqual(['code_assistant', 'researcher']);
    expect(builtinAgent('nope')).toBeUndefined();
    expect(new Set(BUILTIN_AGENTS.map((a) => a.key)).size).toBe(BUILTIN_AGENTS.length);
  });

  it.each(BUILTIN_AGENTS.map((a) => [a.key, a] as const))('%s is well-formed', (_key, agent) => {
    expect(agent.key).toMatch(/^[a-z][a-z0-9_-]{1,63}$/);
    const used = new Set(placeholders(agent.prompt.template));
    const declared = agent.prompt.variables.map((v) => v.name);
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((name) => !declared.includes(name as string))).toEqual([]);
    expect(declared.filter((name) => !used.has(name))).toEqual([]);
    const known = [...BUILTIN_TOOL_NAMES, ...PROVIDER_TOOLS.map((t) => t.name)];
    expect(agent.tools.filter((tool) => !known.includes(tool))).toEqual([]);
    expect(GUARDRAIL_PRESET_KEYS).toContain(agent.runtimeConfig.guardrailPreset);
    expect(agent.runtimeConfig.maxTurns).toBeGreaterThan(0);
    expect(agent.handoffs.filter((key) => !builtinAgent(key) || key === agent.key)).toEqual([]);
  });

  it('provider tools do not shadow platform tools', () => {
    expect(PROVIDER_TOOLS.filter((t) => BUILTIN_TOOL_NAMES.includes(t.name))).toEqual([]);
  });
});
