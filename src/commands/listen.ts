/**
 * The options naming the config and where the gateway listens. `serve` binds there and `doctor` checks
 * that it can, so both read them, and their defaults, from here.
 */
export const GATEWAY_OPTIONS = {
  config: { type: 'string', default: 'litellm.config.yaml' },
  port: { type: 'string' },
  host: { type: 'string' },
} as const;

/** --port and --host, else $PORT and $HOST, else 4000 on 127.0.0.1. The port is not checked here. */
export function listenAddress(values: { readonly port?: string; readonly host?: string }, env: NodeJS.ProcessEnv): { port: number; host: string } {
  return { port: Number(values.port ?? env.PORT ?? 4000), host: values.host ?? env.HOST ?? '127.0.0.1' };
}

/** What is wrong with the port `listenAddress` read, in the words both commands use; `undefined` when it is one. */
export function portProblem(port: number, values: { readonly port?: string }, env: NodeJS.ProcessEnv): string | undefined {
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return undefined;
  return `--port must be an integer from 0 to 65535, got ${values.port ?? env.PORT}`;
}
