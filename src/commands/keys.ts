import { parseCommandLine, USAGE_ERROR, type CommandIo } from './io.js';
import { clientKeyYaml, newClientKey, type RandomBytes } from './new-client-key.js';

export const KEYS_USAGE = `Usage: groq-router keys new --alias NAME [--models ALIAS,ALIAS]

Makes a key for one client (a person, a machine) and prints it once, with the lines that admit it
under general_settings.client_keys. The config stores only the key's SHA-256 hash.

  --alias   who the key is for, shown in logs (required, unique in the config)
  --models  comma-separated model aliases it may use (default: every alias)
`;

/** `groq-router keys <subcommand>`; only `new` exists. */
export function runKeys(argv: readonly string[], io: CommandIo, random?: RandomBytes): number {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? io.err : io.out)(KEYS_USAGE);
    return sub === undefined ? USAGE_ERROR : 0;
  }
  if (sub !== 'new') {
    io.err(`groq-router keys: unknown subcommand ${JSON.stringify(sub)}\n\n${KEYS_USAGE}`);
    return USAGE_ERROR;
  }
  return runKeysNew(rest, io, random);
}

export function runKeysNew(argv: readonly string[], io: CommandIo, random?: RandomBytes): number {
  const parsed = parseCommandLine(argv, { alias: { type: 'string' }, models: { type: 'string' } }, 'groq-router keys new', KEYS_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const alias = parsed.alias?.trim() ?? '';
  if (alias === '') {
    io.err(`groq-router keys new: --alias is required\n\n${KEYS_USAGE}`);
    return USAGE_ERROR;
  }
  const models = [...new Set((parsed.models ?? '').split(',').map((m) => m.trim()).filter((m) => m !== ''))];

  const entry = newClientKey(alias, models, random);
  const scope = models.length > 0 ? `may use ${models.join(', ')}` : 'may use every alias';
  io.out(
    [
      `New client key for ${JSON.stringify(alias)} (${scope}).`,
      'It is shown only this once and is not stored anywhere: copy it now and give it to the client.',
      '',
      `  ${entry.key}`,
      '',
      'Paste these lines under general_settings.client_keys: in your config (only the hash is stored):',
      '',
      clientKeyYaml(entry),
      '',
      '`groq-router check` validates the result.',
      '',
    ].join('\n'),
  );
  return 0;
}
