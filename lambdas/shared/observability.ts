import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, one metrics emitter and one tracer per function, configured by the POWERTOOLS_* variables
 * that the function construct sets (service name, namespace, log level).
 * Log lines carry ids (notification_id, producer, type, user_id), never payloads, addresses, numbers or tokens.
 */
export const logger = new Logger();
export const metrics = new Metrics({ logger });
export const tracer = new Tracer();

/** Publishes each metric it is given at once, under the dimensions given with it (which it then forgets). */
let singleMetrics: Metrics | undefined;

/**
 * One count under dimensions of its own (which channel, which reason), published beside the function's other
 * metrics rather than adding those dimensions to them. One emitter serves every count: Powertools' singleMetric()
 * builds a new Metrics, console and all, which cost ingest (three counts a notification) 0.1 ms a request.
 */
export function countWith(name: string, dimensions: Record<string, string>, value = 1): void {
  singleMetrics ??= metrics.singleMetric();
  singleMetrics.addDimensions(dimensions);
  singleMetrics.addMetric(name, MetricUnit.Count, value);
}
