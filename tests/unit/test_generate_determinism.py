"""carelake generate is deterministic: same arguments, byte-identical files.

The two runs differ in everything that must not matter (worker processes, chunk size,
hash seed of the interpreter) and share everything that must (arguments).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from carelake.generate import generate_population


def digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    arguments = {"patients": 24, "seed": 99, "readmission_rate": 0.2, "defect_rate": 0.03}
    generate_population(tmp_path / "a", workers=1, chunk_size=5, **arguments)
    # The second run happens in a fresh interpreter with a different hash seed and two workers.
    code = (
        "import sys; from pathlib import Path; from carelake.generate import generate_population; "
        f"generate_population(Path(sys.argv[1]), workers=2, chunk_size=7, **{arguments!r})"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b")], check=True, env=environment)
    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert len(first) > 50
    assert first == second


def test_rerunning_into_the_same_folder_replaces_the_previous_output(tmp_path: Path) -> None:
    generate_population(tmp_path, patients=12, seed=1, workers=1)
    before = digests(tmp_path)
    generate_population(tmp_path, patients=6, seed=2, workers=1)
    generate_population(tmp_path, patients=12, seed=1, workers=1)
    assert digests(tmp_path) == before


def test_a_different_seed_gives_a_different_population(tmp_path: Path) -> None:
    generate_population(tmp_path / "a", patients=5, seed=1, workers=1)
    generate_population(tmp_path / "b", patients=5, seed=2, workers=1)
    assert (tmp_path / "a/csv/patients.csv").read_bytes() != (tmp_path / "b/csv/patients.csv").read_bytes()
