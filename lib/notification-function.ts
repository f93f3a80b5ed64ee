import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  type ICommandHooks,
  LogLevel,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const LAMBDAS = fileURLToPath(new URL('../lambdas/', import.meta.url));

export interface NotificationFunctionProps
  extends Omit<NodejsFunctionProps, 'entry' | 'handler' | 'runtime' | 'architecture' | 'tracing' | 'logGroup'> {
  /** The handler module under lambdas/, e.g. "ingest/handler.ts"; it exports `handler`. */
  readonly handlerModule: string;
  /** Names the function in logs and metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * The function renders templates: its bundle carries the render process (render-process.mjs) beside the handler,
   * which the handler starts as a child to render in, with bounded CPU time and memory.
   * @default false
   */
  readonly rendersTemplates?: boolean;
}

const RENDER_PROCESS = 'shared/templates/render-process.ts';

const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Bundles the render process the way the handler is bundled, into the same asset, with the same esbuild. */
function bundleRenderProcess(): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      [
        `"${inputDir}/node_modules/.bin/esbuild"`,
        `"${LAMBDAS}${RENDER_PROCESS}"`,
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--target=node24',
        '--minify',
        '--sourcemap',
        '--sources-content=false',
        `--outfile="${outputDir}/render-process.mjs"`,
        `--banner:js="${ESM_REQUIRE_BANNER}"`,
        '--log-level=warning',
      ].join(' '),
    ],
  };
}

/**
 * Every function of the platform, with the same defaults fixed once: Node.js 24 on ARM64 (cheaper per
 * GB-second), one ESM bundle made by esbuild (AWS SDK included) with source maps, X-Ray tracing, JSON logs in a log group with
 * retention, and Powertools configured for the function.
 */
export class NotificationFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: NotificationFunctionProps) {
    const { handlerModule, serviceName, logRetention, rendersTemplates, environment, bundling, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      memorySize: 512,
      timeout: Duration.seconds(10),
      ...rest,
      entry: `${LAMBDAS}${handlerModule}`,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'NotificationPlatform',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Responses carry addresses, numbers and payload values: none of them may reach X-Ray.
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // Maps for stack traces (NODE_OPTIONS above), without the sources themselves: a trace needs only the
        // mappings, and the sources of every package bundled tripled the maps (57 MB for all the functions, now 19).
        sourceMap: true,
        sourcesContent: false,
        // esbuild's size report of each bundle would be most of what `cdk synth` prints; its warnings still show.
        logLevel: LogLevel.WARNING,
        mainFields: ['module', 'main'],
        // The AWS SDK is bundled too, not taken from the runtime: the versions tested are the versions deployed,
        // and the bundle keeps only the clients a function uses (what `npm run bench` measures).
        externalModules: [],
        // Some dependencies still call require(); an ESM bundle must provide it.
        banner: ESM_REQUIRE_BANNER,
        ...(rendersTemplates ? { commandHooks: bundleRenderProcess() } : {}),
        ...bundling,
      },
    });
    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "Lambda's standard permission to write its own logs; they go to the function's log group, created above",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions',
      },
    );
    if (props.vpc) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'Lambda needs to manage the network interfaces of a function in a VPC; this is the policy AWS provides for it',
      });
    }
  }
}
