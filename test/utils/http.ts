export interface GraphQLResponse<Data = Record<string, unknown>> {
  readonly status: number;
  readonly data?: Data | null;
  readonly errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A GraphQL operation over HTTP POST, as Laravel's `Http::withToken(...)->post(...)` sends it. */
export async function postGraphQL<Data = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<Data>, 'status'>;
  return { status: response.status, ...body };
}

export const errorCodes = (response: GraphQLResponse<unknown>): Array<string | undefined> => (response.errors ?? []).map((error) => error.extensions?.code);
