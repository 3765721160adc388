import { DATASOURCE_VARIABLE, dashboard, queryVariable, stateMappings, type Dashboard, type PanelSpec, type RowSpec } from './grafana.js';

// Written in LiteLLM's own query style (`sum(rate(x[...])) by (label)`), on litellm_* families only, so the
// panels read like the ones LiteLLM users know.
const RI = '$__rate_interval';
const REQUESTED = 'requested_model=~"$requested_model"';
const DEPLOYMENT = 'litellm_model_name=~"$litellm_model_name"';
/** The usage and API-latency families name the deployment's model `model`. */
const MODEL = 'model=~"$litellm_model_name"';

function latency(family: string, selector: string, by: string): PanelSpec['targets'] {
  return [
    { expr: `sum(rate(${family}_sum{${selector}}[${RI}])) by (${by}) / sum(rate(${family}_count{${selector}}[${RI}])) by (${by})`, legend: `avg {{${by}}}` },
    { expr: `histogram_quantile(0.5, sum(rate(${family}_bucket{${selector}}[${RI}])) by (le, ${by}))`, legend: `p50 {{${by}}}` },
    { expr: `histogram_quantile(0.95, sum(rate(${family}_bucket{${selector}}[${RI}])) by (le, ${by}))`, legend: `p95 {{${by}}}` },
  ];
}

const proxy: RowSpec = {
  title: 'LiteLLM Proxy Level Metrics',
  panels: [
    {
      title: 'Proxy - Requests per second (success + failure)',
      description: 'Total requests per second made to the proxy, success + failure, by requested model (litellm_proxy_total_requests_metric).',
      unit: 'reqps',
      targets: [{ expr: `sum(rate(litellm_proxy_total_requests_metric_total{${REQUESTED}}[${RI}])) by (requested_model)`, legend: '{{requested_model}}' }],
    },
    {
      title: 'Proxy - Requests per second by status code',
      description: 'Requests per second by the HTTP status the client got (499: the client went away first).',
      unit: 'reqps',
      targets: [{ expr: `sum(rate(litellm_proxy_total_requests_metric_total{${REQUESTED}}[${RI}])) by (status_code)`, legend: '{{status_code}}' }],
    },
    {
      title: 'Proxy Failure Responses / Second By Exception Class',
      description: 'Responses per second where the client did not get a success, by LiteLLM exception class (RateLimitError, ServiceUnavailableError, InternalServerError, ...).',
      unit: 'reqps',
      targets: [{ expr: `sum(rate(litellm_proxy_failed_requests_metric_total{${REQUESTED}}[${RI}])) by (exception_class)`, legend: '{{exception_class}}' }],
    },
    {
      title: 'Proxy - Average & Median Response Latency',
      description: 'Total latency of a request through the proxy (litellm_request_total_latency_metric): average, median and p95, by requested model.',
      unit: 's',
      targets: latency('litellm_request_total_latency_metric', REQUESTED, 'requested_model'),
    },
  ],
};

const api: RowSpec = {
  title: 'LLM API Metrics',
  panels: [
    {
      title: 'LLM API Latency',
      description: 'Latency of the serving LLM API call (litellm_llm_api_latency_metric): average, median and p95, by model.',
      unit: 's',
      targets: latency('litellm_llm_api_latency_metric', MODEL, 'model'),
    },
    {
      title: 'Time to First Token',
      description: 'Streamed requests only: time to the first token of the serving LLM API call (litellm_llm_api_time_to_first_token_metric), by model.',
      unit: 's',
      targets: latency('litellm_llm_api_time_to_first_token_metric', MODEL, 'model'),
    },
    {
      title: 'LiteLLM Overhead Latency',
      description: 'Latency the proxy itself added (litellm_overhead_latency_metric), excluding waits on the LLM API, by model group.',
      unit: 's',
      targets: latency('litellm_overhead_latency_metric', DEPLOYMENT, 'model_group'),
    },
    {
      title: 'Input / Output / Total Tokens per minute',
      description: 'Tokens per minute from LLM usage, by requested model (litellm_input_tokens_metric, litellm_output_tokens_metric, litellm_total_tokens_metric).',
      unit: 'short',
      targets: [
        { expr: `sum(rate(litellm_input_tokens_metric_total{${REQUESTED}}[${RI}])) by (requested_model) * 60`, legend: 'input {{requested_model}}' },
        { expr: `sum(rate(litellm_output_tokens_metric_total{${REQUESTED}}[${RI}])) by (requested_model) * 60`, legend: 'output {{requested_model}}' },
        { expr: `sum(rate(litellm_total_tokens_metric_total{${REQUESTED}}[${RI}])) by (requested_model) * 60`, legend: 'total {{requested_model}}' },
      ],
    },
    {
      title: 'x-ratelimit-remaining-requests',
      description: 'Requests the gateway will still send today (litellm_remaining_requests_metric): the rpd budget, which already follows Groq\'s x-ratelimit-remaining-requests where that is tighter; Groq\'s figure alone when rpd has no limit.',
      unit: 'short',
      targets: [{ expr: `sum(litellm_remaining_requests_metric{${DEPLOYMENT}}) by (model_group, litellm_model_name, model_id)`, legend: '{{model_group}} / {{model_id}}' }],
    },
    {
      title: 'x-ratelimit-remaining-tokens',
      description: 'Tokens the gateway will still send this minute (litellm_remaining_tokens_metric): the tpm budget, which already follows Groq\'s x-ratelimit-remaining-tokens where that is tighter; Groq\'s figure alone when tpm has no limit.',
      unit: 'short',
      targets: [{ expr: `sum(litellm_remaining_tokens_metric{${DEPLOYMENT}}) by (model_group, litellm_model_name, model_id)`, legend: '{{model_group}} / {{model_id}}' }],
    },
  ],
};

const deployments: RowSpec = {
  title: 'LLM Deployment Analytics',
  panels: [
    {
      title: 'Deployment State',
      description: 'State of each deployment (litellm_deployment_state), as LiteLLM means it: Healthy (last call succeeded), Partial Outage (last call failed, or a trial is pending after a cooldown), Complete Outage (cooled down, skipped).',
      unit: 'none',
      type: 'state-timeline',
      width: 24,
      mappings: stateMappings(['Healthy', 'Partial Outage', 'Complete Outage']),
      thresholds: [
        { color: 'green', value: null },
        { color: 'yellow', value: 1 },
        { color: 'red', value: 2 },
      ],
      targets: [{ expr: `max(litellm_deployment_state{${DEPLOYMENT}}) by (litellm_model_name, model_id)`, legend: '{{litellm_model_name}} / {{model_id}}' }],
    },
    {
      title: 'Deployment Success / Failure Responses',
      description: 'LLM API calls per second by deployment: successes, and failures by the status of the exception (litellm_deployment_success_responses, litellm_deployment_failure_responses).',
      unit: 'reqps',
      targets: [
        { expr: `sum(rate(litellm_deployment_success_responses_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name)`, legend: 'success {{litellm_model_name}}' },
        {
          expr: `sum(rate(litellm_deployment_failure_responses_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name, exception_status)`,
          legend: 'failure {{litellm_model_name}} {{exception_status}}',
        },
      ],
    },
    {
      title: 'Deployment Failure Rate',
      description: 'Failed LLM API calls as a share of all calls, per deployment (failure_responses / total_requests); 0 for a deployment with calls and no failures.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [
        {
          expr:
            `(sum(rate(litellm_deployment_failure_responses_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name)` +
            ` or sum(rate(litellm_deployment_total_requests_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name) * 0)` +
            ` / sum(rate(litellm_deployment_total_requests_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name)`,
          legend: '{{litellm_model_name}}',
        },
      ],
    },
    {
      title: 'Deployment RPM vs RPM Limit',
      description: 'LLM API calls per minute per deployment (litellm_deployment_total_requests, rate x 60) against the RPM limit found in the config (litellm_deployment_rpm_limit).',
      unit: 'short',
      targets: [
        { expr: `sum(rate(litellm_deployment_total_requests_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name, model_id) * 60`, legend: '{{litellm_model_name}} / {{model_id}} requests/min' },
        { expr: `max(litellm_deployment_rpm_limit{${DEPLOYMENT}}) by (litellm_model_name, model_id)`, legend: '{{litellm_model_name}} / {{model_id}} RPM limit' },
      ],
    },
    {
      title: 'Deployment TPM vs TPM Limit',
      description: 'Tokens per minute per model (litellm_total_tokens_metric, rate x 60) against the TPM limit found in the config (litellm_deployment_tpm_limit).',
      unit: 'short',
      targets: [
        { expr: `sum(rate(litellm_total_tokens_metric_total{${MODEL}}[${RI}])) by (model, model_id) * 60`, legend: '{{model}} / {{model_id}} tokens/min' },
        { expr: `max(litellm_deployment_tpm_limit{${DEPLOYMENT}}) by (litellm_model_name, model_id)`, legend: '{{litellm_model_name}} / {{model_id}} TPM limit' },
      ],
    },
    {
      title: 'Fallbacks: Successful vs Failed',
      description: 'Fallback requests per second from the requested model to a fallback model, successful and failed (litellm_deployment_successful_fallbacks, litellm_deployment_failed_fallbacks).',
      unit: 'reqps',
      targets: [
        {
          expr: `sum(rate(litellm_deployment_successful_fallbacks_total{${REQUESTED}}[${RI}])) by (requested_model, fallback_model)`,
          legend: 'successful {{requested_model}} → {{fallback_model}}',
        },
        {
          expr: `sum(rate(litellm_deployment_failed_fallbacks_total{${REQUESTED}}[${RI}])) by (requested_model, fallback_model)`,
          legend: 'failed {{requested_model}} → {{fallback_model}}',
        },
      ],
    },
    {
      title: 'Deployment Cooled Down',
      description: 'Times a deployment was cooled down (its breaker opened) per interval, by the status of the exception that caused it (litellm_deployment_cooled_down).',
      unit: 'short',
      bars: true,
      targets: [
        {
          expr: `sum(increase(litellm_deployment_cooled_down_total{${DEPLOYMENT}}[${RI}])) by (litellm_model_name, exception_status)`,
          legend: '{{litellm_model_name}} {{exception_status}}',
        },
      ],
    },
  ],
};

const spendAndLoad: RowSpec = {
  title: 'Spend and load',
  panels: [
    {
      title: 'Spend per hour by model and key',
      description: 'USD per hour from the catalogue\'s (or model_info\'s) prices times the tokens used (litellm_spend_metric), by model and client key alias (empty: no client key).',
      unit: 'currencyUSD',
      targets: [{ expr: `sum(rate(litellm_spend_metric_total{${MODEL}}[${RI}])) by (model, api_key_alias) * 3600`, legend: '{{model}} {{api_key_alias}}' }],
    },
    {
      title: 'Requests and failures by model (deprecated counters)',
      description:
        'Requests per second by the model that served them, and failed ones (litellm_requests_metric, litellm_llm_api_failed_requests_metric). LiteLLM deprecated both for litellm_proxy_total_requests_metric and litellm_proxy_failed_requests_metric, but its shipped dashboards still read them.',
      unit: 'reqps',
      targets: [
        { expr: `sum(rate(litellm_requests_metric_total{${MODEL}}[${RI}])) by (model)`, legend: 'requests {{model}}' },
        { expr: `sum(rate(litellm_llm_api_failed_requests_metric_total{${MODEL}}[${RI}])) by (model)`, legend: 'failed {{model}}' },
      ],
    },
    {
      title: 'In-flight requests',
      description: 'HTTP requests under way on the gateway (litellm_in_flight_requests), streams until their last byte.',
      unit: 'short',
      targets: [{ expr: 'sum(litellm_in_flight_requests)', legend: 'in flight' }],
    },
    {
      title: 'Queue time',
      description: 'Time requests waited in the headroom queue for a budget to free up (litellm_request_queue_time_seconds; max_queue_wait_seconds); 0 for requests that did not wait.',
      unit: 's',
      targets: latency('litellm_request_queue_time_seconds', REQUESTED, 'requested_model'),
    },
    {
      title: 'Latency per output token',
      description: 'Seconds of the serving LLM API call per completion token (litellm_deployment_latency_per_output_token), by deployment.',
      unit: 's',
      targets: latency('litellm_deployment_latency_per_output_token', DEPLOYMENT, 'litellm_model_name'),
    },
  ],
};

export function litellmCompatDashboard(): Dashboard {
  return dashboard(
    {
      uid: 'groq-router-litellm',
      title: 'groq-router (LiteLLM metrics)',
      description: "LiteLLM's familiar proxy, LLM API and deployment panels, served by groq-router's litellm_* metrics.",
      tags: ['groq-router', 'litellm', 'llm'],
    },
    [
      DATASOURCE_VARIABLE,
      queryVariable('requested_model', 'Requested model', 'label_values(litellm_proxy_total_requests_metric_total, requested_model)', 'Model groups clients asked for (appear after their first request).'),
      queryVariable('litellm_model_name', 'Deployment model', 'label_values(litellm_deployment_state, litellm_model_name)', 'litellm_params.model of the deployments.'),
    ],
    [proxy, api, deployments, spendAndLoad],
  );
}
