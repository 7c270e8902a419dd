# Emergency access (HIPAA 164.312(a)(2)(ii)): a break-glass role for when the normal
# paths to the data fail (Identity Center down, Lake Formation or a key policy
# misconfigured). Only the named people may assume it, only with a fresh MFA sign-in and
# a source identity, for at most an hour, and every assumption alerts the security topic
# twice over: at once through EventBridge (this region), and through a metric filter on
# the multi-region trail's log group (any region, console switch-role included).
# The procedure is in docs/runbook.md, "Emergency access (break glass)".
locals {
  role_name = "${var.context.name_prefix}-break-glass"
  role_arn  = "arn:${var.context.partition}:iam::${var.context.account_id}:role/${local.role_name}"
  metric_ns = "carelake/${var.context.environment}/security"
}

resource "aws_iam_role" "this" {
  name                 = local.role_name
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "Break-glass emergency access; every use alerts the security topic (docs/runbook.md)"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "NamedPeopleWithFreshMfa"
      Effect    = "Allow"
      Principal = { AWS = var.trusted_principal_arns }
      Action    = ["sts:AssumeRole", "sts:SetSourceIdentity"]
      Condition = {
        Bool            = { "aws:MultiFactorAuthPresent" = "true" }
        NumericLessThan = { "aws:MultiFactorAuthAge" = tostring(var.mfa_max_age_seconds) }
        Null            = { "sts:SourceIdentity" = "false" }
      }
    }]
  })

  tags = {
    DataClassification = "phi"
    Purpose            = "break-glass"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  #checkov:skip=CKV_AWS_274:Break-glass access exists for when scoped access has failed; every assumption alarms to the security topic and needs fresh MFA.
  role       = aws_iam_role.this.name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/AdministratorAccess"
}

resource "aws_cloudwatch_event_rule" "this" {
  name        = "${local.role_name}-assumed"
  description = "Someone assumed the break-glass role"
  event_pattern = jsonencode({
    source        = ["aws.sts"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource       = ["sts.amazonaws.com"]
      eventName         = ["AssumeRole"]
      requestParameters = { roleArn = [local.role_arn] }
    }
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "security-topic"
  arn       = var.security_topic_arn

  input_transformer {
    input_paths = {
      who      = "$.detail.userIdentity.arn"
      identity = "$.detail.requestParameters.sourceIdentity"
      when     = "$.detail.eventTime"
      from     = "$.detail.sourceIPAddress"
      error    = "$.detail.errorCode"
    }
    input_template = "\"BREAK-GLASS: <who> (source identity <identity>) assumed ${local.role_name} at <when> from <from> (error: <error>). Follow docs/runbook.md, Emergency access.\""
  }
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  name           = "${local.role_name}-assumed"
  log_group_name = var.trail_log_group_name
  pattern        = "{ (($.eventSource = \"sts.amazonaws.com\") && ($.eventName = \"AssumeRole\") && ($.requestParameters.roleArn = \"${local.role_arn}\")) || (($.eventName = \"SwitchRole\") && ($.additionalEventData.SwitchTo = \"${local.role_arn}\")) }"

  metric_transformation {
    name          = "break-glass-assumed"
    namespace     = local.metric_ns
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  alarm_name          = "${local.role_name}-assumed"
  alarm_description   = "The break-glass role was assumed (any region, console included)"
  namespace           = local.metric_ns
  metric_name         = aws_cloudwatch_log_metric_filter.this.metric_transformation[0].name
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.security_topic_arn]

  tags = {
    DataClassification = "non-phi"
  }
}
