import { Duration } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeEndpointWildcards } from '../lambdas/channels/push/infrastructure.js';
import { CHANNELS } from '../lambdas/channels/registry.js';
import { DIGEST_KEY_PREFIX } from '../lambdas/shared/adapters/digest-windows.js';
import { COUNTER_KEY_PREFIX } from '../lambdas/shared/adapters/frequency-counters.js';
import { NOTIFICATION_KEY_PREFIX } from '../lambdas/shared/adapters/notifications-store.js';
import { ENV } from '../lambdas/shared/platform/environment.js';
import {
  DEAD_LETTER_RETENTION_DAYS,
  ERASURE_FOLLOW_UP,
  HANDLER_MODULES,
  NOTIFICATIONS_BY_USER_INDEX,
  TOPICS_BY_SUBSCRIBER_INDEX,
  VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
} from '../lambdas/shared/platform/resources.js';
import type { ChannelInfrastructure, WorkerContext } from './channel-infrastructure.js';
import type { NotificationFunction } from './notification-function.js';
import { queueFedFunction } from './queue-fed-function.js';
import { allowIndexQuery, allowTableActions, allowTableActionsOnKeys } from './table-access.js';

export interface PersonErasureProps {
  /** The API function that erases a person when asked (DELETE /v1/users/{user_id}): the first pass. */
  readonly firstPass: NotificationFunction;
  readonly context: WorkerContext;
  /** Each channel's part: a provider that keeps copies of what was sent gives the erasure its credentials. */
  readonly channelInfrastructure: Readonly<Record<(typeof CHANNELS)[number], ChannelInfrastructure>>;
  /** The SNS endpoint ARNs devices may have, to delete (none when no push application is configured). */
  readonly pushEndpoints: readonly string[];
  readonly alarmAction: IAlarmAction;
}

/**
 * Erasing a person, and making it again until it converges (lambdas/user-erasure/person-erasure.ts): the API function
 * makes the first pass and queues the next on the erasure queue, whose function makes it once the index of the
 * person's notifications has settled, and again with backoff while a provider holds a text it cannot delete yet. What
 * is not done after ERASURE_FOLLOW_UP.passes rests in the DLQ, with an alarm. Both functions may do exactly what a pass
 * does, and nothing more.
 */
export class PersonErasure extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly followUp: NotificationFunction;

  constructor(scope: Construct, id: string, props: PersonErasureProps) {
    super(scope, id);
    const { tables } = props.context;
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      fn: this.followUp,
    } = queueFedFunction(this, {
      // Its passes wait in the queue as long as a dead letter would: an erasure is never dropped for age.
      queue: {
        visibilityTimeoutSeconds: ERASURE_FOLLOW_UP.timeoutSeconds * VISIBILITY_TIMEOUT_PER_WORKER_TIMEOUT,
        retentionDays: DEAD_LETTER_RETENTION_DAYS,
        maxReceiveCount: ERASURE_FOLLOW_UP.passes,
      },
      functionId: 'FollowUp',
      function: {
        handlerModule: HANDLER_MODULES.erasureFollowUp,
        serviceName: 'user-erasure-follow-up',
        description: 'Makes an erasure again until nothing of the person is left',
        timeout: Duration.seconds(ERASURE_FOLLOW_UP.timeoutSeconds),
        environment: {
          [ENV.usersTable]: tables.users.tableName,
          [ENV.devicesTable]: tables.devices.tableName,
          [ENV.notificationsTable]: tables.notifications.tableName,
          [ENV.suppressionsTable]: tables.suppressions.tableName,
          [ENV.topicsTable]: tables.topics.tableName,
        },
      },
      eventSourceId: 'Erasures',
      batchSize: 10,
      deadLetterAlarm: {
        id: 'Unfinished',
        description:
          'an erasure is not finished after its passes (a provider kept a text): look at the erasure DLQ, then ' +
          'redrive it',
        action: props.alarmAction,
      },
    }));
    for (const fn of [props.firstPass, this.followUp]) {
      fn.addEnvironment(ENV.erasureQueueUrl, this.queue.queueUrl);
      this.allowPass(fn, props);
    }
    props.firstPass.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
  }

  /** What a pass calls, and nothing more. */
  private allowPass(fn: NotificationFunction, props: PersonErasureProps): void {
    const { tables, suppressionKeys } = props.context;
    // The person's devices (listed, forgotten in a transaction with the person's list of them), then their item.
    allowTableActions(fn, tables.devices, 'GetItem', 'BatchGetItem', 'DeleteItem');
    allowTableActions(fn, tables.users, 'GetItem', 'UpdateItem', 'DeleteItem');
    // Their soft bounces forgotten (a count deleted, a suppression's count removed), by their addresses' keys.
    allowTableActions(fn, tables.suppressions, 'DeleteItem', 'UpdateItem');
    suppressionKeys.allowRead(fn);
    // Their notification records: found by the index, read for the texts to delete at the provider, then their id
    // taken off; notification items only.
    allowIndexQuery(fn, tables.notifications, NOTIFICATIONS_BY_USER_INDEX);
    allowTableActionsOnKeys(fn, tables.notifications, [NOTIFICATION_KEY_PREFIX], 'GetItem', 'UpdateItem');
    // What else the table keeps under their id: frequency counters and digest windows, listed and deleted.
    allowTableActionsOnKeys(fn, tables.notifications, [COUNTER_KEY_PREFIX, DIGEST_KEY_PREFIX], 'Query', 'DeleteItem');
    // Their subscriptions: found by the topics' index of subscribers, each deleted.
    allowIndexQuery(fn, tables.topics, TOPICS_BY_SUBSCRIBER_INDEX);
    allowTableActions(fn, tables.topics, 'DeleteItem');
    if (props.pushEndpoints.length > 0) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['sns:DeleteEndpoint'], resources: [...props.pushEndpoints] }));
      acknowledgeEndpointWildcards(fn, [...props.pushEndpoints]);
    }
    for (const channel of CHANNELS) props.channelInfrastructure[channel].equipErasure?.(fn, props.context);
  }
}
