/**
 * The platform tools the agents subgraph runs in process (`catalog/builtin-tools.ts`). A result the
 * model should see as a failure is `{ isError: true, error }`, never a thrown error.
 */

/** What invoking a tool gives the chat runtime (and the model). */
export interface AgentToolResult {
  output: unknown;
  isError: boolean;
  error: string | null;
}

export const toolOutput = (output: unknown): AgentToolResult => ({ output, isError: false, error: null });
export const toolError = (error: string): AgentToolResult => ({ output: null, isError: true, error });

/** `+01:00` from Intl's `GMT+01:00` / `GMT` (`Z` for a zero offset). */
function isoOffset(gmt: string): string {
  const offset = gmt.replace(/^GMT/, '');
  if (!offset || /^[+-]0{1,2}(:00)?$/.test(offset)) {
    return 'Z';
  }
  const match = /^([+-])(\d{1,2})(?::(\d{2}))?$/.exec(offset);
  return match ? `${match[1]}${(match[2] ?? '').padStart(2, '0')}:${match[3] ?? '00'}` : 'Z';
}

/**
 * The current time as ISO 8601 with the zone's offset (`timezone` an IANA name, default UTC).
 * An unknown zone is a RangeError.
 */
export function currentTime(
  timezone: string | undefined,
  now: Date = new Date(),
): { iso: string; timezone: string } {
  const zone = timezone?.trim() || 'UTC';
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const parts = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  const ms = String(now.getUTCMilliseconds()).padStart(3, '0');
  const iso = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${ms}${isoOffset(parts.timeZoneName ?? 'GMT')}`;
  return { iso, timezone: format.resolvedOptions().timeZone };
}

/** Runs a platform tool on arguments already validated against its schema. */
export function runBuiltinTool(name: string | null, args: Record<string, unknown>): AgentToolResult {
  switch (name) {
    case 'current_time': {
      const timezone = typeof args.timezone === 'string' ? args.timezone : undefined;
      try {
        return toolOutput(currentTime(timezone));
      } catch {
        return toolError(
          `Unknown time zone "${timezone}": use an IANA time zone name such as "Europe/Paris".`,
        );
      }
    }
    default:
      return toolError(`The built-in tool "${name ?? ''}" is not available on this deployment.`);
  }
}
