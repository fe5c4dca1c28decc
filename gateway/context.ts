/** What the gateway knows about a request; forwarded to subgraphs as headers or ws extensions. */
export interface GatewayContext {
  authorization: string | null;
  clientIp: string | null;
  userAgent: string | null;
  requestId: string;
  /** Request headers the subgraphs act on (kernel FORWARDED_HEADERS), lower-cased names. */
  forwarded: Record<string, string>;
}
