/**
 * The CDK app: one stack holding one TracePipeline, tuned through context (`-c key=value`, see
 * lib/app-context.ts and docs/DEPLOY.md) and checked by cdk-nag's AwsSolutions rules on every synth.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ContextKey, pipelinePropsFromContext, stackNameFromContext } from '../lib/app-context.ts';
import { addPipelineOutputs } from '../lib/pipeline-outputs.ts';
import { TracePipeline } from '../lib/trace-pipeline.ts';

const app = new App();
const read = (key: ContextKey): unknown => app.node.tryGetContext(key);
const stack = new Stack(app, stackNameFromContext(read), {
  description:
    'tracesift: tail-sampling distributed tracing (OTLP -> Kinesis -> Lambda -> DynamoDB + Athena)',
});
addPipelineOutputs(stack, new TracePipeline(stack, 'Pipeline', pipelinePropsFromContext(stack, read)));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
