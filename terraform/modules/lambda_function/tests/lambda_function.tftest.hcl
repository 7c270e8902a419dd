mock_provider "aws" {}

variables {
  context = {
    project                  = "carelake"
    environment              = "dev"
    name_prefix              = "carelake-dev"
    account_id               = "111122223333"
    region                   = "us-east-1"
    partition                = "aws"
    permissions_boundary_arn = "arn:aws:iam::111122223333:policy/carelake-dev-workload-boundary"
  }
  name        = "risk_alert"
  description = "test function"
  code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.0.0/lambdas/risk_alert.zip"
  }
  environment_variables   = { TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:t" }
  environment_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
  logs_kms_key_arn        = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  dlq_kms_key_arn         = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  subnet_ids              = ["subnet-0a", "subnet-0b"]
  security_group_ids      = ["sg-0a"]
  alarm_topic_arn         = "arn:aws:sns:us-east-1:111122223333:carelake-dev-pipeline-failures"
  policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sns:Publish", Resource = "arn:aws:sns:us-east-1:111122223333:t" }]
  })
}

run "function_hardened" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.function_name == "carelake-dev-risk-alert" && aws_lambda_function.this.runtime == "python3.11" && aws_lambda_function.this.handler == "handler.handler"
    error_message = "Function name, runtime and handler must follow the platform contract."
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.environment_kms_key_arn
    error_message = "The environment must be encrypted with the given key."
  }

  assert {
    condition     = aws_iam_role.this.permissions_boundary == "arn:aws:iam::111122223333:policy/carelake-dev-workload-boundary"
    error_message = "The execution role must carry the workload boundary (the apply role creates no other)."
  }

  assert {
    condition     = one(aws_lambda_function.this.tracing_config).mode == "Active" && aws_lambda_function.this.reserved_concurrent_executions == 5
    error_message = "Tracing must be active and concurrency capped."
  }

  assert {
    condition     = toset(one(aws_lambda_function.this.vpc_config).subnet_ids) == toset(var.subnet_ids)
    error_message = "The function must run in the private subnets."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.logs_kms_key_arn && aws_sqs_queue.this.kms_master_key_id == var.dlq_kms_key_arn
    error_message = "Logs and dead letters must be KMS-encrypted."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.runtime.policy).Statement : !contains(flatten([s.Action]), "*") && !anytrue([for a in flatten([s.Action]) : endswith(a, ":*")])])
    error_message = "The runtime policy must not allow wildcard actions."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "111122223333"
    error_message = "Only Lambda in this account may assume the role."
  }
}

run "alarms_to_topic" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.errors.alarm_actions == toset([var.alarm_topic_arn]) && aws_cloudwatch_metric_alarm.dead_letters.alarm_actions == toset([var.alarm_topic_arn])
    error_message = "Errors and dead letters must alarm to the topic."
  }
}

run "rejects_zero_concurrency" {
  command = plan

  variables {
    reserved_concurrent_executions = 0
  }

  expect_failures = [var.reserved_concurrent_executions]
}
