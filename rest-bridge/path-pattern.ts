/** A REST path with `{snake_param}` placeholders, compiled for matching request paths. */
export interface PathPattern {
  params: string[];
  regex: RegExp;
}

export function compilePath(path: string): PathPattern {
  const params: string[] = [];
  const source = path.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { params, regex: new RegExp(`^${source}/?$`) };
}

/** The decoded path parameters when `pathname` matches, else null. */
export function matchPath(pattern: PathPattern, pathname: string): Record<string, string> | null {
  const m = pattern.regex.exec(pathname);
  if (!m) {
    return null;
  }
  try {
    return Object.fromEntries(pattern.params.map((p, i) => [p, decodeURIComponent(m[i + 1] ?? '')]));
  } catch {
    return null; // malformed percent-encoding: no route matches
  }
}
