"""The wheel ships every package: pyproject.toml lists them by hand (ntorch.kernels maps to kernels/), so a new
package directory missing from the list would install without it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    listed = set(re.findall(r'"(ntorch[\w.]*)"', text.split("packages = [", 1)[1].split("]", 1)[0]))
    found = set()
    for root, prefix in ((ROOT / "src" / "ntorch", "ntorch"), (ROOT / "kernels", "ntorch.kernels")):
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root).parts
            found.add(".".join((prefix, *rel)))
    assert found - listed == set(), f"package directories missing from pyproject.toml's packages: {found - listed}"
    assert listed - found == set(), f"pyproject.toml lists packages that do not exist: {listed - found}"
