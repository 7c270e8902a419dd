# Lambda deployment packages, -included by the root Makefile.
# dist/lambdas/<name>.zip = lambdas/<name>/ + lambdas/common/ (as common/), built by
# lambdas/build_zip.py: sorted entries, fixed timestamps and modes, so the same source always
# gives a byte-identical zip (and Terraform's source_code_hash only changes with the code).
# outreach_intake.zip also holds the packages of lambdas/requirements.txt (jsonschema), which
# build_zip.py pip-installs for the Lambda runtime: building it needs PyPI (or pip's mirror).

# Every lambdas/<name>/handler.py is a Lambda (the platform module finds them the same way).
LAMBDA_NAMES := $(patsubst lambdas/%/handler.py,%,$(wildcard lambdas/*/handler.py))
LAMBDA_DIST := dist/lambdas
LAMBDA_ZIPS := $(foreach n,$(LAMBDA_NAMES),$(LAMBDA_DIST)/$(n).zip)
# Every file that can end up in a zip, so an edit (or an added/removed file: the directories
# are prerequisites too) rebuilds just the zips it belongs to.
lambda_sources = $(shell find lambdas/$(1) -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '.*')
LAMBDA_COMMON_SOURCES := lambdas/common $(call lambda_sources,common)
# Contract files (build_zip.py's CONTRACT_FILES) are copied from the carelake package.
LAMBDA_CONTRACT_SOURCES := $(wildcard jobs/src/carelake/contracts/*.json)
# Only the handlers in build_zip.py's VENDORED_HANDLERS use it; the others are rebuilt to the
# same bytes when it changes, which is cheap and keeps that list in one place.
LAMBDA_REQUIREMENTS := lambdas/requirements.txt

package-lambdas: $(LAMBDA_ZIPS) ## Build dist/lambdas/<name>.zip for each Lambda (reproducible, byte-identical)

test-lambdas: venv ## Run the Lambda tests (moto, hypothesis)
	$(BIN)/pytest tests/lambdas

define lambda_zip_rule
$(LAMBDA_DIST)/$(1).zip: lambdas/build_zip.py $(LAMBDA_REQUIREMENTS) lambdas/$(1) $(call lambda_sources,$(1)) $(LAMBDA_COMMON_SOURCES) $(LAMBDA_CONTRACT_SOURCES)
	$(PYTHON) lambdas/build_zip.py $(1) --out $$@
endef
$(foreach n,$(LAMBDA_NAMES),$(eval $(call lambda_zip_rule,$(n))))

.PHONY: package-lambdas test-lambdas
