/** One REST operation served by the bridge: a GraphQL root field at a method and path. */
export interface RestRoute {
  /** The GraphQL root field, `Query.x` or `Mutation.y`. */
  field: `${'Query' | 'Mutation'}.${string}`;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Full path as clients call it, params in braces with the contract's names: `/api/v1/conversations/{conversation_id}`. */
  path: string;
  /** Success status (default 200). */
  status?: number;
  /** Where the JSON body goes: the `input` argument (default) or spread over the field's arguments. */
  body?: 'input' | 'args';
  /** Wrap the result in the legacy success envelope `{success: true, message, data}`. */
  envelope?: {
    message: string;
    /** Take the message from this key of the (REST-cased) result instead; it is dropped from `data`. */
    messageField?: string;
    /** `none`: `data` is null (the legacy SuccessNoDataResponse). Default: the result. */
    data?: 'result' | 'none';
  };
  /** A different success status for some results (login answers 202 with an MFA challenge). */
  statusFor?: (data: unknown) => number | undefined;
  /** Largest request body accepted, in bytes (default 256 KiB, JSON); uploads set more. Larger: 413. */
  maxBodyBytes?: number;
  tags: string[];
  summary: string;
}

/** A REST-only rename: GraphQL field (camelCase) → JSON key, per GraphQL type. */
export type FieldAliases = Record<string, Record<string, string>>;
