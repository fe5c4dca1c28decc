export function buildOpenApiDocument(_supergraph: string): Record<string, unknown> {
  return {};
}
