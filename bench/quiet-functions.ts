// Imported first by bench/run.ts, before any function module loads: the functions' own logs and metrics
// would drown the figures. (Powertools reads these when its logger and metrics are created.)
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
