/**
 * Prompt templates: `{{name}}` placeholders (spaces inside the braces allowed, `{{ name }}`).
 * Every `{{` must open a placeholder with a valid name closed by `}}`; a lone `}}` is plain text
 * (templates often quote JSON). Pure functions, no I/O.
 */

/** A variable name: a letter or `_`, then letters, digits or `_` (at most 64). */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A declared variable of a prompt version. */
export interface PromptVariable {
  name: string;
  required: boolean;
  default: string | null;
}

/** A placeholder found in a template. */
export interface Placeholder {
  name: string;
  /** Offset of its `{{` in the template. */
  start: number;
  /** Offset just past its `}}`. */
  end: number;
}

export type ParsedTemplate = { ok: true; placeholders: Placeholder[] } | { ok: false; error: string };

const PLACEHOLDER = /\{\{\s*([^{}\s]*)\s*\}\}/y;

/** The placeholders of a template, or why it is not valid. */
export function parseTemplate(template: string): ParsedTemplate {
  const placeholders: Placeholder[] = [];
  let from = 0;
  for (;;) {
    const start = template.indexOf('{{', from);
    if (start < 0) {
      return { ok: true, placeholders };
    }
    PLACEHOLDER.lastIndex = start;
    const match = PLACEHOLDER.exec(template);
    if (!match) {
      return {
        ok: false,
        error: `Unbalanced or invalid placeholder at offset ${start}: "{{" must open "{{name}}".`,
      };
    }
    const name = match[1] ?? '';
    if (!VARIABLE_NAME.test(name)) {
      return {
        ok: false,
        error: `Invalid variable name "${name}" at offset ${start}: use letters, digits and "_", starting with a letter or "_".`,
      };
    }
    placeholders.push({ name, start, end: PLACEHOLDER.lastIndex });
    from = PLACEHOLDER.lastIndex;
  }
}

/** A value given for a variable when rendering. */
export type VariableValue = string | number | boolean;

/**
 * Renders a valid template: each placeholder becomes its value, else the variable's default, else
 * empty (the caller has already refused missing required variables).
 */
export function renderTemplate(
  template: string,
  placeholders: readonly Placeholder[],
  declared: readonly PromptVariable[],
  values: Readonly<Record<string, VariableValue>>,
): string {
  const byName = new Map(declared.map((v) => [v.name, v]));
  let out = '';
  let from = 0;
  for (const p of placeholders) {
    out += template.slice(from, p.start);
    const given = values[p.name];
    out += given === undefined ? (byName.get(p.name)?.default ?? '') : String(given);
    from = p.end;
  }
  return out + template.slice(from);
}
