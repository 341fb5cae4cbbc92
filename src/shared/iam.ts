/**
 * IAM as data. Each adapter exports, next to the function that calls AWS, the actions that function calls and
 * what they act on — `ecrRegistryPermissions` for `ecrRegistry`, as Cloud Custodian's actions declare
 * `permissions`. serverless.yml grants each function's role exactly what its handler's imports declare, and
 * test/deploy/iam.int.test.ts proves it on the packaged template.
 */

/** An IAM action, `service:Action`, e.g. `ecr:DescribeImages`. */
export type IamAction = `${string}:${string}`;

/**
 * What a permission applies to, as a kind: serverless.yml writes each kind as one ARN of the stack (and the IAM
 * test maps it the same way), so an adapter names the resource without knowing the stage or the account.
 */
export type IamResource =
  /** Any repository of the account and region: the repositories a function acts on come from events. */
  | 'ecr-repository'
  /** The single table (inventory, verdicts, …). */
  | 'sentinel-table'
  /** The single table's indexes (`gsi1`: listings). */
  | 'sentinel-table-index'
  /** Powertools idempotency records. */
  | 'idempotency-table'
  /** The SNS topic that carries alerts. */
  | 'alerts-topic'
  /** The account's default EventBridge bus (results other systems react to). */
  | 'default-event-bus'
  /** The roles promotions assume in other environments' accounts (sentinel.config.yml `environments[].roleArn`). */
  | 'promotion-roles'
  /** The SSM SecureString named by sentinel.config.yml `alerts.slack.webhookParameter`. */
  | 'slack-webhook-parameter'
  /**
   * The KMS key of the account that encrypts the Slack webhook's SecureString — aws/ssm or a customer managed key,
   * the parameter owner's choice, unknown at deploy — used only through SSM (condition `kms:ViaService`) and only
   * for that parameter (condition `kms:EncryptionContext:PARAMETER_ARN`: SSM names the parameter's ARN in the
   * encryption context of every Decrypt it asks for).
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html
   * @see https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
   */
  | 'secure-string-key'
  /**
   * Any ECS service of the account and region (`service/<cluster>/<name>`): cleanup reads every cluster's
   * services to protect what they deploy.
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html#amazonelasticcontainerservice-service
   */
  | 'ecs-service'
  /**
   * Any ECS task of the account and region (`task/<cluster>/<id>`): cleanup describes running tasks.
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html#amazonelasticcontainerservice-task
   */
  | 'ecs-task'
  /**
   * Any Lambda function of the account and region (`function:<name>`, and its versions and aliases): cleanup
   * reads which images functions run.
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html#awslambda-function
   */
  | 'lambda-function'
  /** The queue of a cleanup run's repositories (planCleanup sends, cleanupRepository receives). */
  | 'cleanup-queue'
  /** The queue of compliance checks' repositories (sweepCompliance and checkCompliance send, checkRepositories receives). */
  | 'compliance-queue'
  /** Every resource: only for {@link ACTIONS_ONLY_ON_ANY_RESOURCE}. */
  | '*';

/**
 * Actions that have no resource type in the Service Authorization Reference, so IAM grants them only on `"*"`.
 * The only home of this list: the `'*'` resource accepts nothing else, and the IAM test allows `"*"` for nothing
 * else.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoninspector2.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 */
export const ACTIONS_ONLY_ON_ANY_RESOURCE = [
  'ecr:GetAuthorizationToken',
  'ecr:GetAccountSetting',
  'ecr:GetRegistryScanningConfiguration',
  'ecr:DescribeRegistry',
  'ecr:DescribeRepositoryCreationTemplates',
  'ecr:PutRegistryScanningConfiguration',
  'ecr:PutReplicationConfiguration',
  'ecr:CreateRepositoryCreationTemplate',
  'ecr:UpdateRepositoryCreationTemplate',
  'inspector2:ListFindings',
  'inspector2:ListCoverage',
  'ecs:ListClusters',
  'ecs:ListServices',
  // The reference gives ListTasks the container-instance resource type, but a ListTasks that names no container
  // instance (listing a cluster's tasks) is authorised on "*" with the `ecs:cluster` condition, as AWS's own
  // policies for it are written: https://github.com/awsdocs/amazon-ecs-developer-guide/issues/211
  'ecs:ListTasks',
  'ecs:ListTaskDefinitionFamilies',
  'ecs:ListTaskDefinitions',
  'ecs:DescribeTaskDefinition',
  'lambda:ListFunctions',
] as const;

/** One of {@link ACTIONS_ONLY_ON_ANY_RESOURCE}. */
export type ActionOnlyOnAnyResource = (typeof ACTIONS_ONLY_ON_ANY_RESOURCE)[number];

/** Actions and the one kind of resource they are granted on. */
export type IamPermission =
  | { readonly actions: readonly IamAction[]; readonly resource: Exclude<IamResource, '*'> }
  | { readonly actions: readonly ActionOnlyOnAnyResource[]; readonly resource: '*' };

/** What one exported function calls; empty when it calls no AWS API. */
export type IamPermissions = readonly IamPermission[];
