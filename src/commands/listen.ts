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
