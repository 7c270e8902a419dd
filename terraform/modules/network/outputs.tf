output "vpc_id" {
  description = "ID of the data-plane VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "CIDR block of the data-plane VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in availability_zones order."
  value       = [for az in var.availability_zones : aws_subnet.this[az].id]
}

output "private_subnet_ids_by_availability_zone" {
  description = "Private subnet ID by availability zone."
  value       = { for az, s in aws_subnet.this : az => s.id }
}

output "workloads_security_group_id" {
  description = "Security group for Glue jobs and Lambda functions."
  value       = aws_security_group.workloads.id
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints."
  value       = aws_security_group.endpoints.id
}

output "private_route_table_id" {
  description = "Route table of the private subnets (no route to the internet)."
  value       = aws_route_table.this.id
}

output "vpc_endpoint_ids" {
  description = "VPC endpoint IDs by service name (gateway and interface)."
  value       = merge({ for k, v in aws_vpc_endpoint.gateway : k => v.id }, { for k, v in aws_vpc_endpoint.interface : k => v.id })
}

output "flow_logs_cloudwatch_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.this.name
}
