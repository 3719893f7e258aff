/**
 * Prometheus metrics for `/metrics`: an OpenTelemetry meter provider read by the Prometheus exporter (no server
 * of its own: the service's HTTP server answers `/metrics`). The bus records its messaging metrics through the
 * same provider; the services add the seed's HTTP counters.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Histogram, MeterProvider } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';

/** A service's metrics. */
export interface ServiceMetrics {
  /** Give this to the bus: `createBus({ telemetry: { meterProvider } })`. */
  readonly meterProvider: MeterProvider;
  /** `http_requests_total{service, method, status}`. */
  readonly httpRequests: Counter;
  /** `http_request_duration_seconds{service, method}`. */
  readonly httpDuration: Histogram;
  /** `notifications_total{service, channel, status}` and the like: a counter by name, created once. */
  counter(name: string, description: string): Counter;
  /** Answers a scrape in the Prometheus text format. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

/**
 * Creates the meter provider and exporter of one service.
 *
 * @example
 * ```ts
 * const metrics = serviceMetrics('backend-api');
 * server.on('request', (req, res) => req.url === '/metrics' && metrics.handle(req, res));
 * ```
 */
export function serviceMetrics(service: string): ServiceMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new SdkMeterProvider({ readers: [exporter] });
  const meter = provider.getMeter(service);
  const counters = new Map<string, Counter>();
  return {
    meterProvider: provider,
    httpRequests: meter.createCounter('http_requests', { description: 'HTTP requests served' }),
    httpDuration: meter.createHistogram('http_request_duration_seconds', {
      description: 'HTTP request duration',
      unit: 's',
    }),
    counter(name, description) {
      let counter = counters.get(name);
      if (counter === undefined) {
        counter = meter.createCounter(name, { description });
        counters.set(name, counter);
      }
      return counter;
    },
    handle: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => provider.shutdown(),
  };
}
