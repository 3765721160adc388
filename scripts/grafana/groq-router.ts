import { DATASOURCE_VARIABLE, HEADROOM_THRESHOLDS, dashboard, queryVariable, stateMappings, type Dashboard, type PanelSpec, type RowSpec } from './grafana.js';

/** Families labelled by deployment (`model_group`, `model_id`, `model`). */
const DEP = 'model_group=~"$model_group", model_id=~"$model_id"';
/** Families labelled by the alias the client asked for; the variable's values are aliases too. */
const ALIAS = 'requested_model=~"$model_group"';
const RI = '$__rate_interval';

/** p50, p95 and p99 of one histogram, aggregated by `le` plus `by`. */
function quantiles(bucket: string, selector: string, by = '', legendSuffix = ''): PanelSpec['targets'] {
  const labels = by === '' ? 'le' : `le, ${by}`;
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${labels}) (rate(${bucket}{${selector}}[${RI}])))`,
    legend: `p${Math.round(q * 100)}${legendSuffix}`,
  }));
}

const quota: RowSpec = {
  title: 'Quota',
  panels: [
    {
      title: 'Quota headroom now',
      description:
        'Fraction of each budget window still free, per deployment and window (rpm, rpd, tpm, tpd, ash, asd): the tighter of the gateway\'s own count and Groq\'s last x-ratelimit-* headers. Red under 10 % (the deployment will soon be skipped, and once the whole chain is out the gateway answers 429), yellow under 25 %. Windows without a limit have no bar.',
      unit: 'percentunit',
      type: 'bargauge',
      width: 8,
      height: 10,
      min: 0,
      max: 1,
      thresholds: HEADROOM_THRESHOLDS,
      targets: [{ expr: `groq_router_quota_headroom_ratio{${DEP}}`, legend: '{{model_group}} / {{model_id}} {{window}}' }],
    },
    {
      title: 'Quota headroom over time',
      description:
        'The same headroom ratio as a history, with the 10 % (red) and 25 % (yellow) bands shaded. Per-minute windows refill continuously; a line that sits at the bottom means demand above the limit, a day window falling steadily means the day will run out.',
      unit: 'percentunit',
      width: 16,
      height: 10,
      min: 0,
      max: 1,
      thresholds: HEADROOM_THRESHOLDS,
      targets: [{ expr: `groq_router_quota_headroom_ratio{${DEP}}`, legend: '{{model_group}} / {{model_id}} {{window}}' }],
    },
    {
      title: 'Time to exhaustion of daily quotas',
      description:
        'Seconds until a day window (rpd, tpd) of a deployment runs out at that deployment\'s own consumption rate over the last hour: quota left (the tighter of the local and upstream views) divided by the rate this deployment spends it. Requests are its successful upstream calls (failed calls give their reservation back), tokens its settled usage. When several deployments share one (API key, model) budget each line is that deployment\'s share of the drain, so the budget runs out sooner than any single line says. Usage expiring from 24 h ago is not credited, so the real time is a little longer. Per-minute windows are left out on purpose: they refill as fast as they drain. Deployments without traffic in the last hour have no line.',
      unit: 's',
      targets: [
        {
          expr: `min by (model_group, model_id, model) (groq_router_quota_remaining{${DEP}, window="rpd"}) / on (model_group, model_id, model) (sum by (model_group, model_id, model) (rate(groq_router_upstream_attempts_total{${DEP}, result="success"}[1h])) > 0)`,
          legend: '{{model_group}} / {{model_id}} rpd',
        },
        {
          expr: `min by (model_group, model_id, model) (groq_router_quota_remaining{${DEP}, window="tpd"}) / on (model_group, model_id, model) (sum by (model_group, model_id, model) (rate(groq_router_tokens_total{${DEP}}[1h])) > 0)`,
          legend: '{{model_group}} / {{model_id}} tpd',
        },
      ],
    },
    {
      title: 'Quota reset',
      description:
        'Seconds until the oldest usage leaves each limited window (view=local) or until Groq says its window resets (view=upstream, rpd and tpm only). Windows without a limit are hidden. For a refused alias this is what the gateway\'s retry-after is made of.',
      unit: 's',
      targets: [
        {
          expr: `groq_router_quota_reset_seconds{${DEP}} and on (model_group, model_id, model, window) groq_router_quota_limit`,
          legend: '{{model_group}} / {{model_id}} {{window}} ({{view}})',
        },
      ],
    },
    {
      title: 'Requests left today (rpd): local vs upstream',
      description:
        'Requests left in the day window: view=local is the gateway\'s own count against the configured limit, view=upstream is Groq\'s last x-ratelimit-remaining-requests. Upstream below local means another client of the same organisation is spending this key, or Groq\'s limit is lower than the configured one; the gateway then follows the upstream figure until it resets.',
      unit: 'short',
      width: 12,
      targets: [{ expr: `groq_router_quota_remaining{${DEP}, window="rpd"}`, legend: '{{model_group}} / {{model_id}} {{view}}' }],
    },
    {
      title: 'Tokens left this minute (tpm): local vs upstream',
      description:
        'Tokens left in the minute window: view=local is the gateway\'s own count (reservations of prompt plus max_tokens, settled to real usage), view=upstream is Groq\'s last x-ratelimit-remaining-tokens. A persistent gap with upstream below local means someone else spends this key, or the estimates fall short.',
      unit: 'short',
      width: 12,
      targets: [{ expr: `groq_router_quota_remaining{${DEP}, window="tpm"}`, legend: '{{model_group}} / {{model_id}} {{view}}' }],
    },
    {
      title: 'Tokens per minute vs TPM limit',
      description:
        'Tokens per minute served by each deployment (input + output from upstream usage, rate x 60) against its TPM limit. The limit belongs to the (key, model) budget, shared by deployments of the same model and key. The gateway books prompt + max_tokens before sending, so it may start passing a deployment over before the used line meets the limit.',
      unit: 'short',
      targets: [
        { expr: `sum by (model_group, model_id) (rate(groq_router_tokens_total{${DEP}}[${RI}])) * 60`, legend: '{{model_group}} / {{model_id}} tokens/min' },
        { expr: `max by (model_group, model_id) (groq_router_quota_limit{${DEP}, window="tpm"})`, legend: '{{model_group}} / {{model_id}} TPM limit' },
      ],
    },
    {
      title: 'Requests per minute vs RPM limit',
      description:
        'Successful upstream calls per minute of each deployment (rate x 60; failed calls give their reservation back) against its RPM limit, shared by deployments of the same model and key.',
      unit: 'short',
      targets: [
        {
          expr: `sum by (model_group, model_id) (rate(groq_router_upstream_attempts_total{${DEP}, result="success"}[${RI}])) * 60`,
          legend: '{{model_group}} / {{model_id}} requests/min',
        },
        { expr: `max by (model_group, model_id) (groq_router_quota_limit{${DEP}, window="rpm"})`, legend: '{{model_group}} / {{model_id}} RPM limit' },
      ],
    },
  ],
};

const breakers: RowSpec = {
  title: 'Breakers',
  panels: [
    {
      title: 'Breaker state',
      description:
        'Circuit breaker of each deployment over time: closed (serving), half-open (one trial request allowed after the ejection time), open (the deployment is ejected, skipped without a call: after a 429 for its retry-after, after more than allowed_fails 5xx/timeouts in a minute, or 15 minutes after a 401/403/404).',
      unit: 'none',
      type: 'state-timeline',
      width: 24,
      mappings: stateMappings(['closed', 'half-open', 'open']),
      thresholds: [
        { color: 'green', value: null },
        { color: 'yellow', value: 1 },
        { color: 'red', value: 2 },
      ],
      targets: [{ expr: `max by (model_group, model_id) (groq_router_breaker_state{${DEP}})`, legend: '{{model_group}} / {{model_id}}' }],
    },
    {
      title: 'Breaker opens',
      description: 'Times a deployment\'s breaker opened per interval, by the failure kind that opened it (rate_limit, server_error, timeout, connection, auth, not_found, ...).',
      unit: 'short',
      bars: true,
      targets: [
        {
          expr: `sum by (model_group, model_id, reason) (increase(groq_router_breaker_opens_total{${DEP}}[${RI}]))`,
          legend: '{{model_group}} / {{model_id}} {{reason}}',
        },
      ],
    },
    {
      title: 'Resting deployments: why, and seconds until the trial',
      description:
        'One row per deployment whose breaker is open now: the failure kind that opened it (reason: rate_limit, server_error, timeout, connection, auth, not_found, stream_error) and the seconds until it gets its one trial request. GET /health gives the full message; the request log shows the failed attempt (attempts[].outcome) in the line of the request that opened it.',
      unit: 's',
      type: 'table',
      targets: [
        {
          expr: `max by (model_group, model_id, reason) (groq_router_breaker_trial_seconds{${DEP}})`,
          legend: '{{model_group}} / {{model_id}} {{reason}}',
          table: true,
        },
      ],
    },
    {
      title: 'Deployments skipped',
      description:
        'Deployments skipped before any network call, per second: reason=quota (its budget could not take the request) or breaker_open (ejected). Skips are cheap; a steady rate means the chain leans on its fallbacks.',
      unit: 'reqps',
      targets: [
        {
          expr: `sum by (model_group, model_id, reason) (rate(groq_router_deployments_skipped_total{${DEP}}[${RI}]))`,
          legend: '{{model_group}} / {{model_id}} {{reason}}',
        },
      ],
    },
  ],
};

const traffic: RowSpec = {
  title: 'Traffic and errors',
  panels: [
    {
      title: 'Failures by cause',
      description:
        'Why requests failed in the interval, per second: gateway_refused (budgets or ejected chains; no call to Groq on the last pass), upstream_rate_limited (Groq\'s 429 relayed), upstream_error (5xx, timeout, connection after every deployment was tried), stream_error (cut or error frame after the first byte), client_error (4xx), timeout, gateway_error. Upstream lines break upstream failures down by error class (every failed call, including those a fallback then covered). Request log counterpart: the `outcome` field of each request line (and `rate_limit_source` on refusals), with `attempts[].outcome` for each deployment tried; grep the log for outcome=<cause> to see the requests behind a spike.',
      unit: 'reqps',
      targets: [
        { expr: `sum by (outcome) (rate(groq_router_requests_total{${ALIAS}, outcome!~"success|cancelled"}[${RI}]))`, legend: '{{outcome}}' },
        { expr: `sum by (result) (rate(groq_router_upstream_attempts_total{${DEP}, result!="success"}[${RI}]))`, legend: 'upstream {{result}}' },
      ],
    },
    {
      title: 'Requests by alias and outcome',
      description:
        'Requests answered per second, by the alias the client asked for and outcome: success, gateway_refused (the gateway said no: budgets used up or every deployment ejected), upstream_rate_limited (Groq\'s own 429 relayed), upstream_error (5xx, timeout, connection), stream_error (a stream cut or ended by an upstream error frame after its first byte), client_error (4xx), timeout (the request\'s deadline), cancelled (the client went away), gateway_error (a fault in the gateway). The request log\'s `outcome` field has the same values.',
      unit: 'reqps',
      targets: [{ expr: `sum by (requested_model, outcome) (rate(groq_router_requests_total{${ALIAS}}[${RI}]))`, legend: '{{requested_model}} {{outcome}}' }],
    },
    {
      title: 'Requests served by deployment',
      description: 'Requests per second by the deployment that served them, including requests for another alias that fell back to it.',
      unit: 'reqps',
      targets: [
        {
          expr: `sum by (model_group, model_id) (rate(groq_router_requests_total{${DEP}, model_id!=""}[${RI}]))`,
          legend: '{{model_group}} / {{model_id}}',
        },
      ],
    },
    {
      title: 'Failed request ratio by alias',
      description:
        'Share of each alias\'s requests that failed on the gateway or upstream side: outcome gateway_refused, upstream_rate_limited, upstream_error, stream_error, timeout or gateway_error. Client errors and cancellations are the caller\'s doing and are left out. 0 when an alias has traffic and no failures.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [
        {
          expr:
            `(sum by (requested_model) (rate(groq_router_requests_total{${ALIAS}, outcome=~"gateway_refused|upstream_rate_limited|upstream_error|stream_error|timeout|gateway_error"}[${RI}]))` +
            ` or sum by (requested_model) (rate(groq_router_requests_total{${ALIAS}}[${RI}])) * 0)` +
            ` / sum by (requested_model) (rate(groq_router_requests_total{${ALIAS}}[${RI}]))`,
          legend: '{{requested_model}}',
        },
      ],
    },
    {
      title: 'Upstream calls by deployment and result',
      description: 'Calls to each deployment per second, by result: success, or the failure kind (rate_limit, server_error, timeout, connection, stream_error, ...).',
      unit: 'reqps',
      targets: [
        {
          expr: `sum by (model_group, model_id, result) (rate(groq_router_upstream_attempts_total{${DEP}}[${RI}]))`,
          legend: '{{model_group}} / {{model_id}} {{result}}',
        },
      ],
    },
    {
      title: '429s: gateway-issued vs upstream',
      description:
        '429s per second. source=gateway: the gateway refused at once because no deployment of the chain had budget (no call to Groq). source=upstream: Groq itself answered 429; ideally zero, since the budgets should refuse first. A steady upstream rate means configured limits are above Groq\'s, or another client shares the key.',
      unit: 'reqps',
      targets: [{ expr: `sum by (source) (rate(groq_router_rate_limited_total{${ALIAS}}[${RI}]))`, legend: '{{source}}' }],
    },
    {
      title: 'Answers cut by the gateway\'s completion cap',
      description:
        'Answers per second that ended at a completion cap the gateway lowered below the client\'s own (finish_reason "length"; router_settings.completion_cap: adaptive). Should be rare: each one raises that alias\'s learned cap at once. A steady rate means answers grow longer than the alias\'s recent ones; completion_cap: requested turns the lowering off.',
      unit: 'reqps',
      targets: [{ expr: `sum by (requested_model) (rate(groq_router_completions_cut_total{${ALIAS}}[${RI}]))`, legend: '{{requested_model}}' }],
    },
    {
      title: 'Retries by alias',
      description:
        'Further attempts after the first within a request, per second: another deployment of the same group after a failure, or a whole pass along the chain again after a backoff (num_retries / retry_policy).',
      unit: 'reqps',
      targets: [{ expr: `sum by (requested_model) (rate(groq_router_retries_total{${ALIAS}}[${RI}]))`, legend: '{{requested_model}}' }],
    },
  ],
};

const fallbacks: RowSpec = {
  title: 'Fallbacks',
  panels: [
    {
      title: 'Fallbacks (from → to, reason)',
      description:
        'Requests per second that left their alias\'s group for a fallback group, by the group they ended on and why the earlier groups could not serve (the first failure: rate_limit, server_error, timeout, ..., or quota / breaker_open when skipped).',
      unit: 'reqps',
      width: 14,
      targets: [
        { expr: `sum by (from, to, reason) (rate(groq_router_fallbacks_total{from=~"$model_group"}[${RI}]))`, legend: '{{from}} → {{to}} ({{reason}})' },
      ],
    },
    {
      title: 'Fallback flow over the time range',
      description: 'Fallbacks in the selected time range, one row per from → to pair and reason.',
      unit: 'short',
      type: 'table',
      width: 10,
      targets: [
        {
          expr: `sum by (from, to, reason) (increase(groq_router_fallbacks_total{from=~"$model_group"}[$__range]))`,
          legend: '{{from}} → {{to}} ({{reason}})',
          table: true,
        },
      ],
    },
  ],
};

const latency: RowSpec = {
  title: 'Latency and tokens',
  panels: [
    {
      title: 'Request duration p50 / p95 / p99',
      description: 'Time from a request reaching the gateway to the end of its answer (a stream: its last byte), fallbacks and retries included, for the selected aliases.',
      unit: 's',
      targets: quantiles('groq_router_request_duration_seconds_bucket', ALIAS),
    },
    {
      title: 'Mean request duration by alias',
      description: 'Mean time to the end of the answer per alias (sum / count of the request duration histogram).',
      unit: 's',
      targets: [
        {
          expr: `sum by (requested_model) (rate(groq_router_request_duration_seconds_sum{${ALIAS}}[${RI}])) / sum by (requested_model) (rate(groq_router_request_duration_seconds_count{${ALIAS}}[${RI}]))`,
          legend: '{{requested_model}}',
        },
      ],
    },
    {
      title: 'Upstream duration p50 / p95 / p99',
      description: 'Time spent on the serving upstream call, to its last byte, for the selected deployments.',
      unit: 's',
      targets: quantiles('groq_router_upstream_duration_seconds_bucket', DEP),
    },
    {
      title: 'Time to first token p50 / p95 / p99',
      description: 'Streamed answers only: time from the serving upstream call to its first byte (the first token).',
      unit: 's',
      targets: quantiles('groq_router_time_to_first_token_seconds_bucket', DEP),
    },
    {
      title: 'Gateway overhead p50 / p95 / p99',
      description: 'Time the gateway itself added until the answer started, excluding time waiting on upstreams: routing, budgets, request cleaning. Well under a millisecond when healthy.',
      unit: 's',
      targets: quantiles('groq_router_overhead_seconds_bucket', ALIAS),
    },
    {
      title: 'Tokens per minute by direction',
      description: 'Tokens per minute reported by upstream usage, by deployment and direction (input = prompt, output = completion).',
      unit: 'short',
      targets: [
        {
          expr: `sum by (model_group, model_id, direction) (rate(groq_router_tokens_total{${DEP}}[${RI}])) * 60`,
          legend: '{{model_group}} / {{model_id}} {{direction}}',
        },
      ],
    },
  ],
};

const config: RowSpec = {
  title: 'Config and shared state',
  panels: [
    {
      title: 'Config reloads',
      description:
        'Reloads of litellm.config.yaml per interval (file change, SIGHUP or POST /config/reload), by result. A failure leaves the previous config serving; the gateway log and /health/readiness name the file, line, column and key at fault.',
      unit: 'short',
      bars: true,
      targets: [{ expr: `sum by (result) (increase(groq_router_config_reloads_total[${RI}]))`, legend: '{{result}}' }],
    },
    {
      title: 'Shared budgets degraded',
      description:
        'With budgets shared through Redis: 1 while this instance cannot reach Redis and spends only its local share (1/gateway_instances) of each budget, 0 when it is back in the shared accounting. Always 0 with the in-memory store.',
      unit: 'none',
      targets: [{ expr: 'max by (instance) (groq_router_quota_store_degraded)', legend: '{{instance}}' }],
    },
    {
      title: 'Age of the serving config',
      description: 'Seconds since the config now serving was loaded. It resets on every successful reload; failed reloads leave it growing.',
      unit: 's',
      targets: [{ expr: 'time() - max(groq_router_config_last_success_timestamp_seconds)', legend: 'age' }],
    },
  ],
};

export function groqRouterDashboard(): Dashboard {
  return dashboard(
    {
      uid: 'groq-router',
      title: 'groq-router',
      description: 'Quota headroom, breakers, fallbacks, errors and latency of the groq-router gateway (groq_router_* metrics).',
      tags: ['groq-router', 'groq', 'llm'],
    },
    [
      DATASOURCE_VARIABLE,
      queryVariable(
        'model_group',
        'Model group',
        'label_values(groq_router_breaker_state, model_group)',
        'Aliases (model_name). Filters deployment panels by their group and request panels by the alias clients asked for.',
      ),
      queryVariable('model_id', 'Deployment', 'label_values(groq_router_breaker_state{model_group=~"$model_group"}, model_id)', 'Deployments (model_info.id) of the selected groups.'),
    ],
    [quota, breakers, traffic, fallbacks, latency, config],
  );
}
