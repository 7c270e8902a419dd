"""Helpers for the Terraform tests: where things are, and how to run terraform offline
(providers from the filesystem mirror that scripts/tf-mirror.sh finds)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = TERRAFORM / "environments"
MODULE_DIRS = sorted(p for p in MODULES.iterdir() if (p / "main.tf").exists())
ROOT_DIRS = sorted(p for p in ENVIRONMENTS.iterdir() if (p / "main.tf").exists())


def terraform_env() -> dict[str, str]:
    """Environment for terraform: mirror config when there is one, no prompts, no AWS credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_"))}
    env.update(TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    config = subprocess.run(
        [str(REPO / "scripts" / "tf-mirror.sh")], check=True, capture_output=True, text=True
    ).stdout.strip()
    if config:
        env["TF_CLI_CONFIG_FILE"] = config
    return env


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py (its file name need not be a valid module name)."""
    path = REPO / "scripts" / f"{name}.py"
    module_name = name.replace("-", "_")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
