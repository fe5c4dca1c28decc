/**
 * The REST routing table: every route (operations and streams) compiled once at boot into one list
 * ordered by specificity, so a literal segment wins over a parameter whatever the order of
 * declaration (`/conversations/search` before `/conversations/{conversation_id}`). Two routes with
 * the same method and the same path shape fail at boot: a request must have exactly one match.
 */

export interface RouteEntry<T> {
  method: string;
  /** Full path with `{snake_param}` placeholders: `/api/v1/conversations/{conversation_id}`. */
  path: string;
  target: T;
}

export type RouteMatch<T> =
  | { kind: 'found'; target: T; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

type Segment = { literal: string } | { param: string };

interface Compiled<T> {
  entry: RouteEntry<T>;
  segments: Segment[];
}

const PARAM = /^\{([a-z][a-z0-9_]*)\}$/;

function segmentsOf(path: string): Segment[] {
  if (!path.startsWith('/')) {
    throw new Error(`route path ${path} must start with /`);
  }
  return path
    .slice(1)
    .split('/')
    .map((s) => {
      const param = PARAM.exec(s);
      if (param) {
        return { param: param[1] as string };
      }
      if (s === '' || /[{}]/.test(s)) {
        throw new Error(`route path ${path}: bad segment "${s}"`);
      }
      return { literal: s };
    });
}

/** `/a/{x}/b` → `/a/{}/b`: two routes with the same shape and method would match the same requests. */
const shape = (segments: Segment[]) => segments.map((s) => ('literal' in s ? s.literal : '{}')).join('/');

/** Literal segments before parameters, segment by segment from the left. */
function bySpecificity<T>(a: Compiled<T>, b: Compiled<T>): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const pa = 'param' in (a.segments[i] as Segment) ? 1 : 0;
    const pb = 'param' in (b.segments[i] as Segment) ? 1 : 0;
    if (pa !== pb) {
      return pa - pb;
    }
  }
  return a.segments.length - b.segments.length;
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) {
    return null;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    const part = parts[i] as string;
    if ('literal' in segment) {
      if (segment.literal !== part) {
        return null;
      }
    } else {
      if (part === '') {
        return null;
      }
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        return null; // malformed percent-encoding matches no route
      }
    }
  }
  return params;
}

export class Router<T> {
  private readonly table: Compiled<T>[];

  constructor(entries: readonly RouteEntry<T>[]) {
    const seen = new Map<string, RouteEntry<T>>();
    this.table = entries.map((entry) => {
      const segments = segmentsOf(entry.path);
      const key = `${entry.method.toUpperCase()} /${shape(segments)}`;
      const other = seen.get(key);
      if (other) {
        throw new Error(
          `duplicate REST route ${entry.method} ${entry.path} (also ${other.method} ${other.path})`,
        );
      }
      seen.set(key, entry);
      return { entry, segments };
    });
    this.table.sort(bySpecificity);
  }

  /** The one route for a request (`pathname` still percent-encoded), with decoded path parameters. */
  match(method: string, pathname: string): RouteMatch<T> {
    const parts = pathname.replace(/\/$/, '').slice(1).split('/');
    const allowed: string[] = [];
    for (const { entry, segments } of this.table) {
      const params = matchSegments(segments, parts);
      if (!params) {
        continue;
      }
      if (entry.method.toUpperCase() === method.toUpperCase()) {
        return { kind: 'found', target: entry.target, params };
      }
      allowed.push(entry.method.toUpperCase());
    }
    return allowed.length ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}
