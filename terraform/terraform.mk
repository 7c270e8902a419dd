# Terraform: offline checks (run by `make test` through tests/terraform too) and the
# deploy steps the deploy workflow calls. -included by the root Makefile.
# Providers come from the machine's filesystem mirror when scripts/tf-mirror.sh finds
# one, else from the registry. See terraform/README.md.

ENV ?= dev
# The version make package built (dist/VERSION); CI and rollbacks pass it explicitly.
ARTIFACT_VERSION ?= $(shell cat dist/VERSION 2>/dev/null)
TF_ROOT = terraform/environments/$(ENV)
TF_PLAN = $(CURDIR)/build/terraform/$(ENV).tfplan
TF = scripts/tf.sh -chdir=$(TF_ROOT)
# false for plans made with the read-only plan role, which may not write the lock file
TF_LOCK ?= true
CHECKOV = $(TOOLS_VENV)/bin/checkov -d terraform --framework terraform cloudformation --skip-path '\.terraform' --skip-download --quiet --compact
require_version = test -n "$(ARTIFACT_VERSION)" || { echo "ARTIFACT_VERSION is empty: run make package (it writes dist/VERSION) or pass ARTIFACT_VERSION=<version>" >&2; exit 1; }

tf-validate: ## Terraform fmt check, then init (offline, no backend) and validate every module and root
	scripts/tf-check.sh fmt
	scripts/tf-check.sh validate

tf-test: ## terraform test of every module (mocked AWS provider, plan only)
	scripts/tf-check.sh test

tf-checkov: tools ## checkov over terraform/ (Terraform and the bootstrap template): 0 failed, skips inline with reasons
	$(CHECKOV)

tf-cfn-lint: venv ## cfn-lint the bootstrap CloudFormation template
	$(BIN)/cfn-lint terraform/bootstrap/*.yaml

tf-docs: venv ## Rewrite the inputs/outputs tables of every module README (terraform-docs format)
	$(BIN)/python scripts/tf-docs.py

tf-emulator: venv ## Apply the dev root to a local AWS emulator (moto), smoke-check, re-plan (must converge), destroy
	$(BIN)/pytest tests/integration/test_moto_patches.py tests/integration/test_tf_emulator.py

# ---- deploy steps (need AWS credentials; see docs/runbook.md#terraform) ----------
tf-init: ## Init ENV's root with its S3 backend, locked by an S3 lock file (TF_STATE_BUCKET, TF_STATE_KMS_KEY, AWS_REGION)
	$(TF) init -input=false \
	  -backend-config="bucket=$${TF_STATE_BUCKET:?set TF_STATE_BUCKET}" \
	  -backend-config="kms_key_id=$${TF_STATE_KMS_KEY:?set TF_STATE_KMS_KEY}" \
	  -backend-config="region=$${AWS_REGION:-us-east-1}"

tf-plan: ## Plan ENV at ARTIFACT_VERSION into build/terraform/ENV.tfplan (TF_LOCK=false for the read-only role)
	@$(require_version)
	mkdir -p $(dir $(TF_PLAN))
	$(TF) plan -input=false -lock=$(TF_LOCK) -var 'artifact_version=$(ARTIFACT_VERSION)' -out=$(TF_PLAN)

tf-plan-summary: ## Print ENV's saved plan as markdown: counts, then every change, deletions first
	scripts/tf-plan-summary.py $(ENV) $(TF_PLAN)

tf-apply: ## Apply exactly the saved plan of ENV (make tf-plan first; Terraform refuses it if the state moved)
	$(TF) apply -input=false $(TF_PLAN)

tf-artifacts-published: ## Fail unless ARTIFACT_VERSION is in ENV's artifacts bucket (what a rollback needs)
	@$(require_version)
	bucket=$$(scripts/tf-output.sh $(ENV) artifacts_s3_bucket_name); \
	aws s3api head-object --bucket "$$bucket" --key "carelake/$(ARTIFACT_VERSION)/carelake-python-modules.zip" >/dev/null \
	  || { echo "s3://$$bucket/carelake/$(ARTIFACT_VERSION)/ does not exist: only versions the deploy workflow published can be deployed" >&2; exit 1; }

tf-publish: ## Upload dist/ to s3://<artifacts bucket>/carelake/ARTIFACT_VERSION/ (SSE-KMS with the artifacts key)
	@$(require_version)
	test -d dist || { echo "dist/ is missing: run make package" >&2; exit 1; }
	test "$$(cat dist/VERSION)" = "$(ARTIFACT_VERSION)" || { echo "dist/ holds version $$(cat dist/VERSION), not $(ARTIFACT_VERSION)" >&2; exit 1; }
	bucket=$$(scripts/tf-output.sh $(ENV) artifacts_s3_bucket_name); \
	key=$$(scripts/tf-output.sh $(ENV) kms_key_arns | python3 -c 'import json,sys; print(json.load(sys.stdin)["artifacts"])'); \
	aws s3 cp dist/ "s3://$$bucket/carelake/$(ARTIFACT_VERSION)/" --recursive --only-show-errors \
	  --sse aws:kms --sse-kms-key-id "$$key"

tf-deploy-sql: ## Run ENV's SQL deployment state machine (sql/views) and wait for it
	arn=$$(scripts/tf-output.sh $(ENV) sql_deploy_sfn_state_machine_arn); \
	execution=$$(aws stepfunctions start-execution --state-machine-arn "$$arn" --name "deploy-$(ARTIFACT_VERSION)-$$(date +%s)" --query executionArn --output text); \
	echo "SQL deployment: $$execution"; \
	for _ in $$(seq 1 120); do \
	  status=$$(aws stepfunctions describe-execution --execution-arn "$$execution" --query status --output text); \
	  case $$status in SUCCEEDED) echo "SQL deployment succeeded"; exit 0;; RUNNING) sleep 10;; *) echo "SQL deployment $$status" >&2; exit 1;; esac; \
	done; echo "SQL deployment still running after 20 minutes" >&2; exit 1

tf-patient-key: ## Give ENV's patient key secret a random 256-bit value, once (never overwrites: rotation is in the runbook)
	secret=$$(scripts/tf-output.sh $(ENV) patient_key_secretsmanager_secret_arn); \
	if aws secretsmanager describe-secret --secret-id "$$secret" --query VersionIdsToStages --output json | grep -q AWSCURRENT; then \
	  echo "$$secret already has a value; to rotate it follow docs/runbook.md (Rotating the patient key)"; exit 0; fi; \
	python3 -c 'import secrets; print(secrets.token_hex(32), end="")' \
	  | aws secretsmanager put-secret-value --secret-id "$$secret" --secret-string file:///dev/stdin --query VersionId --output text

hipaa-evidence: venv ## Run the HIPAA controls catalog's read-only evidence commands against ENV's account (AWS_PROFILE), dated report in build/evidence/
	$(BIN)/carelake evidence --env $(ENV) --region $${AWS_REGION:-us-east-1} $${AWS_PROFILE:+--profile $$AWS_PROFILE}

tf-smoke: ## Read-only smoke checks of deployed ENV at ARTIFACT_VERSION
	@$(require_version)
	scripts/tf-smoke.sh $(ENV) '$(ARTIFACT_VERSION)'

.PHONY: tf-validate tf-test tf-checkov tf-cfn-lint tf-docs tf-emulator tf-init tf-plan tf-plan-summary tf-apply tf-artifacts-published tf-publish tf-deploy-sql tf-patient-key hipaa-evidence tf-smoke
