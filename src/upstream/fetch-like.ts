/** The `fetch` signature both SDKs accept through their `fetch` option. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
