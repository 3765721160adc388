import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { Issues } from './issues.js';
import type { ConfigWarning, GatewayConfig } from './types.js';
import { validateConfig } from './validate.js';
import { byPosition, placeIssue, readYaml } from './yaml.js';

export { ConfigError, formatIssue, formatWarning, type ConfigIssue } from './errors.js';

/** Reads and validates a LiteLLM-format config file. Throws `ConfigError` listing every problem found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [{ message: `cannot read config file: ${reason}` }], { cause: err });
  }
  return parseConfig(text, file, env);
}

/**
 * Validates config text; `file` is used in messages as given and resolved to an absolute path in the
 * result. `env` is only read: `environment_variables` from the file shadow it without modifying it.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // `merge: true` because LiteLLM reads YAML with PyYAML, where `<<: *anchor` merge keys work.
  const yaml = readYaml(text, { merge: true, labels: { error: 'YAML syntax error', warning: 'YAML warning' } });
  if (!yaml.ok) throw new ConfigError(file, yaml.errors, yaml.cause === undefined ? undefined : { cause: yaml.cause });

  const issues = new Issues();
  const config = validateConfig(yaml.value, env, issues);
  if (issues.errors.length > 0) throw new ConfigError(file, byPosition(issues.errors.map((e) => placeIssue(yaml, e))));

  const warnings: ConfigWarning[] = [
    ...yaml.warnings.map((w): ConfigWarning => ({ path: '', ...w })),
    ...issues.warnings.map((w): ConfigWarning => {
      const { path = '', message, ...at } = placeIssue(yaml, w);
      return { path, message: path ? `${path}: ${message}` : message, ...at };
    }),
  ];
  return deepFreeze({ file: resolve(file), ...config, warnings: byPosition(warnings) });
}
