// CloudWatch alarms for serverless.yml, generated from serverless.yml itself so that a new function or a new
// dead-letter queue is never left without one:
//
//   resources:
//     - Resources: { ... }
//     - ${file(./deploy/alert-subscriptions.cjs):resources}
//     - ${file(./deploy/alarms.cjs):resources}
//
// - every function: `Errors` > 0 (a failed invocation, whatever the trigger);
// - every queue that holds what failed: a queue named as a RedrivePolicy `deadLetterTargetArn`, as a function's
//   `destinations.onFailure` arn, or as an EventBridge rule's `deadLetterQueueArn`: its depth
//   (`ApproximateNumberOfMessagesVisible`) > 0 — one message there is an event nothing handled;
// each notifying AlertsTopic when it fires and when it clears (AlarmActions and OKActions), and the topic policy
// that lets CloudWatch publish there (only for this stack's alarms).
//
// serverless.yml is read as YAML here (CloudFormation tags kept as their long forms, `<<` merges applied,
// `${…}` variables left as they are): only function keys, their queues and the declared queues matter, and none
// of those is written with a variable. A queue must be named by `!GetAtt <LogicalId>.Arn`, so that its alarm can
// name it; anything else fails packaging with the function or queue to fix.
//
// The Serverless Framework (v3 / osls) and the sandbox's local runtime call the exported function synchronously
// (see alert-subscriptions.cjs). The same derivation is exported for code that checks a deployed stack against
// it (`ecr-sentinel audit --stack`, src/compliance/own-stack/): one home for what alarms the stack should have.
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');
const { parse, YAMLMap } = require('yaml');

const SERVERLESS_FILE = path.resolve(__dirname, '..', 'serverless.yml');
const TOPIC = 'AlertsTopic';
const INTRINSICS = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Base64',
  'ImportValue',
  'GetAZs',
  'Cidr',
  'Condition',
];

/** CloudFormation short tags (`!Ref X`) as their long forms (`{ Ref: 'X' }`), as CloudFormation reads them. */
function cloudFormationTags() {
  const tags = [];
  for (const name of INTRINSICS) {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    tags.push({
      tag: `!${name}`,
      resolve: (value) => {
        if (name !== 'GetAtt') return { [key]: value };
        const dot = value.indexOf('.');
        return { [key]: dot > 0 ? [value.slice(0, dot), value.slice(dot + 1)] : value };
      },
    });
    for (const collection of ['seq', 'map']) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (node) => {
          const map = new YAMLMap();
          map.set(key, node);
          return map;
        },
      });
    }
  }
  return tags;
}

/** serverless.yml as a plain object. */
function readServerless(file = SERVERLESS_FILE) {
  return parse(readFileSync(file, 'utf8'), { customTags: cloudFormationTags(), merge: true });
}

/**
 * The logical id prefix the Serverless Framework gives a function's resources (`onImagePushed` →
 * `OnImagePushed`, then `LambdaFunction`, `LogGroup`…): first letter upper-cased, `-` and `_` spelled out.
 */
function normalizedFunctionName(key) {
  const upper = key.charAt(0).toUpperCase() + key.slice(1);
  return upper.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}

/** `resources.Resources` of serverless.yml, merged over its list items (objects only: `${file(…)}` items skipped). */
function declaredResources(doc) {
  const items = Array.isArray(doc.resources) ? doc.resources : [doc.resources];
  const merged = {};
  for (const item of items) {
    if (item && typeof item === 'object' && item.Resources) Object.assign(merged, item.Resources);
  }
  return merged;
}

/** The queue's logical id in `!GetAtt Queue.Arn`, or a failure naming where the reference is. */
function queueOf(reference, where, resources) {
  const getAtt = reference && typeof reference === 'object' ? reference['Fn::GetAtt'] : undefined;
  const [id, attribute] = Array.isArray(getAtt) ? getAtt : [];
  if (typeof id !== 'string' || attribute !== 'Arn' || resources[id]?.Type !== 'AWS::SQS::Queue') {
    throw new Error(
      `serverless.yml ${where}: name the queue as !GetAtt <Queue>.Arn of an AWS::SQS::Queue in resources, ` +
        `so deploy/alarms.cjs can give it a depth alarm (got ${JSON.stringify(reference)})`,
    );
  }
  return id;
}

/**
 * What should be watched: every function (key → its Lambda function's logical id) and every queue that holds
 * failures (logical id → why, e.g. `destinations.onFailure of onImagePushed`).
 */
function watched(doc) {
  const resources = declaredResources(doc);
  const functions = {};
  const queues = {};
  const reasons = {};
  const hold = (id, why) => {
    reasons[id] ??= new Set();
    reasons[id].add(why);
  };
  for (const [key, fn] of Object.entries(doc.functions ?? {})) {
    functions[key] = `${normalizedFunctionName(key)}LambdaFunction`;
    const onFailure = fn?.destinations?.onFailure;
    if (onFailure !== undefined) {
      const arn = typeof onFailure === 'object' && !onFailure['Fn::GetAtt'] ? onFailure.arn : onFailure;
      hold(queueOf(arn, `functions.${key}.destinations.onFailure`, resources), `onFailure of ${key}`);
    }
    (fn?.events ?? []).forEach((event, index) => {
      const dlq = event?.eventBridge?.deadLetterQueueArn;
      if (dlq !== undefined) {
        const where = `functions.${key}.events[${index}].eventBridge.deadLetterQueueArn`;
        hold(queueOf(dlq, where, resources), `dead letters of ${key}'s EventBridge rule`);
      }
    });
  }
  for (const [id, resource] of Object.entries(resources)) {
    const target =
      resource?.Type === 'AWS::SQS::Queue'
        ? resource.Properties?.RedrivePolicy?.deadLetterTargetArn
        : undefined;
    if (target !== undefined) {
      hold(
        queueOf(target, `resources.Resources.${id}.Properties.RedrivePolicy.deadLetterTargetArn`, resources),
        `dead letters of ${id}`,
      );
    }
  }
  for (const [id, why] of Object.entries(reasons)) queues[id] = [...why].join('; ');
  return { functions, queues };
}

/** An alarm on `> 0` notifying the alerts topic both ways; `name` is appended to the stack's name. */
function alarm(name, description, metric) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: { 'Fn::Sub': `\${AWS::StackName}-${name}` },
      AlarmDescription: description,
      ActionsEnabled: true,
      AlarmActions: [{ Ref: TOPIC }],
      OKActions: [{ Ref: TOPIC }],
      ...metric,
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      // No data is no failure: an idle function reports no Errors, an idle empty queue no depth.
      TreatMissingData: 'notBreaching',
    },
  };
}

/**
 * The alarm resources (and AlertsTopic's policy) for a parsed serverless.yml: logical id → resource.
 * Alarm names are `<stack>-<function>-errors` and `<stack>-<QueueLogicalId>-depth`.
 */
function alarmResources(doc) {
  const { functions, queues } = watched(doc);
  const Resources = {};
  for (const [key, functionId] of Object.entries(functions)) {
    Resources[`${normalizedFunctionName(key)}ErrorsAlarm`] = alarm(
      `${key}-errors`,
      `${key} failed an invocation (Lambda Errors > 0): see its log group; an asynchronous event lands on its onFailure queue after the retries.`,
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        Statistic: 'Sum',
      },
    );
  }
  for (const [queueId, why] of Object.entries(queues)) {
    // AlarmDescription holds at most 1024 characters.
    const description = `${queueId} holds messages nothing handled (${why}): read them, fix the cause, replay or delete them.`;
    Resources[`${queueId}DepthAlarm`] = alarm(
      `${queueId}-depth`,
      description.length > 1024 ? `${description.slice(0, 1021)}...` : description,
      {
        // SQS reports queue metrics every minute while a queue is active, and a queue holding messages is.
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
      },
    );
  }
  // CloudWatch publishes alarm notifications as the service principal: allowed for this stack's alarms only.
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
  Resources.AlertsTopicPolicy = {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [{ Ref: TOPIC }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'CloudWatchAlarmsOfThisStack',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: TOPIC },
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:\${AWS::StackName}-*`,
                },
              },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          },
        ],
      },
    },
  };
  return Resources;
}

module.exports = function alarms() {
  return {
    /** An item of serverless.yml `resources:` (merged with the others). */
    resources: { Resources: alarmResources(readServerless()) },
  };
};
module.exports.readServerless = readServerless;
module.exports.watched = watched;
module.exports.alarmResources = alarmResources;
module.exports.normalizedFunctionName = normalizedFunctionName;
