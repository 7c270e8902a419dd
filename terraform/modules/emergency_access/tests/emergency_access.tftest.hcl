mock_provider "aws" {}

variables {
  context = {
    project                  = "carelake"
    environment              = "prod"
    name_prefix              = "carelake-prod"
    account_id               = "111122223333"
    region                   = "us-east-1"
    partition                = "aws"
    permissions_boundary_arn = "arn:aws:iam::111122223333:policy/carelake-prod-workload-boundary"
  }
  trusted_principal_arns = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_BreakGlass_0123"]
  security_topic_arn     = "arn:aws:sns:us-east-1:111122223333:carelake-prod-security-alerts"
  trail_log_group_name   = "/carelake/prod/cloudtrail"
}

run "break_glass_needs_named_people_fresh_mfa_and_a_source_identity" {
  command = plan

  assert {
    condition     = aws_iam_role.this.max_session_duration == 3600
    error_message = "Break-glass sessions must be short (one hour at most)."
  }

  assert {
    condition     = aws_iam_role.this.permissions_boundary == "arn:aws:iam::111122223333:policy/carelake-prod-workload-boundary"
    error_message = "The break-glass role carries the workload boundary like every role (the apply role creates no other)."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role.this.assume_role_policy).Statement :
      toset(flatten([s.Principal.AWS])) == toset(var.trusted_principal_arns)
      && s.Condition.Bool["aws:MultiFactorAuthPresent"] == "true"
      && s.Condition.NumericLessThan["aws:MultiFactorAuthAge"] == "900"
      && s.Condition.Null["sts:SourceIdentity"] == "false"
    ])
    error_message = "Only the named people, with a recent MFA sign-in and a source identity, may assume the role."
  }
}

run "every_assumption_alarms_to_the_security_topic" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.requestParameters.roleArn == ["arn:aws:iam::111122223333:role/carelake-prod-break-glass"] && aws_cloudwatch_event_target.this.arn == var.security_topic_arn
    error_message = "Each AssumeRole of the break-glass role must reach the security topic at once."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_log_metric_filter.this.pattern, "carelake-prod-break-glass") && strcontains(aws_cloudwatch_log_metric_filter.this.pattern, "SwitchRole") && aws_cloudwatch_log_metric_filter.this.log_group_name == var.trail_log_group_name
    error_message = "The trail's log group must be watched for the role's assumption in any region, console switch-role included."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this.alarm_actions == toset([var.security_topic_arn]) && aws_cloudwatch_metric_alarm.this.threshold == 0 && aws_cloudwatch_metric_alarm.this.period == 60
    error_message = "One assumption within a minute must raise the alarm to the security topic."
  }
}

run "rejects_account_root_or_nobody" {
  command = plan

  variables {
    trusted_principal_arns = ["arn:aws:iam::111122223333:root"]
  }

  expect_failures = [var.trusted_principal_arns]
}
