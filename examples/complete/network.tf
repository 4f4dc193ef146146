# A private network with no route to the internet: SageMaker downloads the model from S3
# through the gateway endpoint and the image from ECR through the interface endpoints
# (ECR serves image layers from S3, which the gateway endpoint covers too).

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Example network only; flow logs need a log group and role the example has no use for.
  #checkov:skip=CKV2_AWS_12:The default security group is unused here; the endpoint gets its own group below.
  cidr_block           = "10.42.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true # private DNS names of the interface endpoints
  tags                 = local.tags
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = "${var.region}${["a", "b"][count.index]}"
  tags              = local.tags
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
  tags   = local.tags
}

resource "aws_route_table_association" "private" {
  count = length(aws_subnet.private)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  tags              = local.tags
}

resource "aws_vpc_endpoint" "ecr" {
  for_each = toset(["ecr.api", "ecr.dkr"])

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.vpc_endpoints.id]
  private_dns_enabled = true
  tags                = local.tags
}

resource "aws_security_group" "endpoint" {
  #checkov:skip=CKV2_AWS_5:Attached to the endpoint's ENIs through module.whisper's vpc_config, which checkov cannot follow.
  name_prefix = "${local.name}-"
  description = "Whisper endpoint containers: no inbound, HTTPS out to the VPC endpoints only"
  vpc_id      = aws_vpc.this.id

  egress {
    description = "HTTPS to the ECR interface endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.this.cidr_block]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id]
  }

  tags = local.tags
}

resource "aws_security_group" "vpc_endpoints" {
  name_prefix = "${local.name}-vpce-"
  description = "ECR interface endpoints: HTTPS from inside the VPC"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.this.cidr_block]
  }

  tags = local.tags
}
