/** A throwaway real Prometheus on 127.0.0.1 for end-to-end tests, and the bits of its HTTP API they use. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killWithParent, stopChild } from '../support/child-process.js';
import { requireBinary } from './tools.js';

export interface PrometheusOptions {
  /** host:port of every target of the one scrape job. */
  readonly targets: readonly string[];
  readonly ruleFiles: readonly string[];
  readonly scrapeInterval: string;
  readonly startTimeoutMs: number;
}

export interface RunningPrometheus {
  readonly url: string;
  /** What it logged, for failure messages. */
  output(): string;
  /** Kills it and deletes its config and TSDB; safe to call more than once. */
  stop(): Promise<void>;
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: readonly [number, string];
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = requireBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'groq-router-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    JSON.stringify({
      global: { scrape_interval: options.scrapeInterval, evaluation_interval: options.scrapeInterval, scrape_timeout: options.scrapeInterval },
      rule_files: options.ruleFiles,
      scrape_configs: [{ job_name: 'groq-router', static_configs: [{ targets: options.targets }] }],
    }),
  );
  // A port found free can be taken before Prometheus binds it; one more try covers that race.
  let lastError: unknown;
  for (let attempt = 0; attempt < 2; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    killWithParent(child);
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const running: RunningPrometheus = {
      url: `http://127.0.0.1:${port}`,
      output: () => output,
      stop: async () => {
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    try {
      await waitUntil('Prometheus to be ready', options.startTimeoutMs, async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
        return (await fetch(`${running.url}/-/ready`).catch(() => undefined))?.ok === true ? true : undefined;
      });
      return running;
    } catch (err) {
      lastError = err;
      await stopChild(child);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** An instant query; throws with Prometheus's error text when the query is rejected. */
export async function query(prometheusUrl: string, expr: string): Promise<Sample[]> {
  const body = await getJson<{ status: string; error?: string; data: { resultType: string; result: Sample[] } }>(prometheusUrl, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (body.status !== 'success') throw new Error(`query failed: ${body.error ?? body.status}: ${expr}`);
  return body.data.result;
}

export async function getJson<T>(prometheusUrl: string, path: string): Promise<T> {
  const res = await fetch(prometheusUrl + path);
  return (await res.json()) as T;
}

/** Polls `probe` until it returns a value, failing after `timeoutMs` with `what` in the message. */
export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
