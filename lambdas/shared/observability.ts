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

/**
 * One count under dimensions of its own (which channel, which reason), published beside the function's other
 * metrics rather than adding those dimensions to them.
 */
export function countWith(name: string, dimensions: Record<string, string>, value = 1): void {
  const metric = metrics.singleMetric();
  metric.addDimensions(dimensions);
  metric.addMetric(name, MetricUnit.Count, value);
}
