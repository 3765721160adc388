import { badRequest } from '../../errors.js';

/**
 * Removes the parameters a provider refuses from `out` under `drop_params`; otherwise refuses the request
 * with one 400 naming every one of them, before anything is sent.
 */
export function dropUnsupported(out: Record<string, unknown>, unsupported: readonly string[], providerName: string, dropParams: boolean): void {
  const present = unsupported.filter((param) => param in out && out[param] !== undefined);
  if (present.length === 0) return;
  if (!dropParams) {
    const names = present.join(', ');
    const verb = present.length === 1 ? 'is' : 'are';
    throw badRequest(`${names} ${verb} not supported by ${providerName}; remove ${present.length === 1 ? 'it' : 'them'} or set litellm_settings.drop_params: true`, 'unsupported_parameter', present[0]);
  }
  for (const param of present) delete out[param];
}
