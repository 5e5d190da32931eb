"""The checkout's bytecode, written before a benchmark runs the audit: `pip install` compiles an
installed package's modules, so a user's audit never compiles its own source. Run from a
checkout with PYTHONDONTWRITEBYTECODE set (this workplace sets it), each audit would compile
its hundred modules again (about 50 ms of CPU here) and the benchmark would measure a cost no
installed preflight pays. The bytecode goes to the usual `__pycache__` (ignored by git).
Also says which XML parsers this botocore gets (auditor/xml_parsing.py): a benchmark on
another botocore may not compare."""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("auditor", "checks", "reports")


def prepare_checkout() -> None:
    """Compile the checkout's bytecode; print that, and which XML parsers this botocore gets."""
    for package in PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise SystemExit(f"could not compile {package}")
    print("bytecode: the checkout's modules compiled first, as pip install compiles them")
    import botocore

    from auditor import xml_parsing

    how = "the planned parsers" if xml_parsing.planned() else "botocore's own (code unverified)"
    print(f"botocore {botocore.__version__}: XML answers parsed by {how}")
