"""DynamoDB exports of treatment records."""
