import { Validations } from 'aws-cdk-lib';
import { CfnCluster, CfnParameterGroup, CfnSubnetGroup } from 'aws-cdk-lib/aws-dax';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { NotificationTables } from './notification-tables.js';
import type { PlatformSettings } from './settings.js';

export interface PreferencesCacheProps {
  readonly settings: PlatformSettings['preferencesCache'];
  readonly tables: NotificationTables;
}

/**
 * A DAX cluster in front of the users table, for the ingest path's one read per notification. It lives in
 * the private subnets of its own VPC, which has no NAT gateway: the functions placed there reach DynamoDB
 * through a gateway endpoint and SQS through an interface endpoint, and nothing else.
 */
export class PreferencesCache extends Construct {
  public readonly vpc: Vpc;
  public readonly clientSecurityGroup: SecurityGroup;
  public readonly cluster: CfnCluster;

  constructor(scope: Construct, id: string, props: PreferencesCacheProps) {
    super(scope, id);
    const { settings } = props;
    this.vpc = new Vpc(this, 'Network', {
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
      flowLogs: {
        rejected: { destination: FlowLogDestination.toCloudWatchLogs(), trafficType: FlowLogTrafficType.REJECT },
      },
    });
    const sqsEndpoint = this.vpc.addInterfaceEndpoint('Sqs', {
      service: InterfaceVpcEndpointAwsService.SQS,
      privateDnsEnabled: true,
    });
    Validations.of(sqsEndpoint).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason:
        "The endpoint accepts HTTPS from the VPC's own address range only; the rule cannot read a range given by reference",
    });

    this.clientSecurityGroup = new SecurityGroup(this, 'Clients', {
      vpc: this.vpc,
      description: 'Functions that read users through the cache',
      allowAllOutbound: true,
    });
    const clusterSecurityGroup = new SecurityGroup(this, 'ClusterAccess', {
      vpc: this.vpc,
      description: 'The DAX cluster: reachable from its clients only',
      allowAllOutbound: false,
    });
    clusterSecurityGroup.addIngressRule(
      Peer.securityGroupId(this.clientSecurityGroup.securityGroupId),
      Port.tcp(9111),
      'DAX over TLS from its clients',
    );

    const subnets = new CfnSubnetGroup(this, 'Subnets', {
      description: 'Private subnets of the preferences cache',
      subnetIds: this.vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
    });
    const parameters = new CfnParameterGroup(this, 'Parameters', {
      description: 'How long the cache keeps items and query results',
      parameterNameValues: {
        'record-ttl-millis': String(settings.itemTtlSeconds * 1000),
        'query-ttl-millis': String(settings.queryTtlSeconds * 1000),
      },
    });
    const role = new Role(this, 'ServiceRole', {
      assumedBy: new ServicePrincipal('dax.amazonaws.com'),
      description: 'Lets the DAX cluster read the users table',
    });
    // What DAX calls to serve GetItem: the item itself, and the table's key schema. Not table.grant(), which would
    // add every index of the table.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:DescribeTable'],
        resources: [props.tables.users.tableArn],
      }),
    );

    this.cluster = new CfnCluster(this, 'Cluster', {
      description: 'Caches user items (preferences, contacts, devices) for the ingest path',
      iamRoleArn: role.roleArn,
      nodeType: settings.nodeType,
      replicationFactor: settings.nodes,
      subnetGroupName: subnets.ref,
      parameterGroupName: parameters.ref,
      securityGroupIds: [clusterSecurityGroup.securityGroupId],
      sseSpecification: { sseEnabled: true },
      clusterEndpointEncryptionType: 'TLS',
    });
  }

  /** The endpoint the DAX client connects to (daxs://...). */
  get endpoint(): string {
    return this.cluster.attrClusterDiscoveryEndpointUrl;
  }

  /** Lets a function read through the cache (it must also run in the cache's VPC). */
  grantRead(fn: IFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dax:GetItem'],
        resources: [this.cluster.attrArn],
      }),
    );
  }
}
