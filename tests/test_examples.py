"""The demos of `make demo` run and learn (the digits MLP must read held-out digits, and its checkpoint must
reload to the same accuracy)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_digits_demo_learns_and_reloads():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "digits.py"), "--epochs", "3"], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    accuracies = [float(a) for a in re.findall(r"test accuracy (\d\.\d+)", out)]
    assert len(accuracies) == 4, out
    assert accuracies[2] > 0.9, out  # 10 classes: chance is 0.1
    assert accuracies[3] == accuracies[2], "the reloaded checkpoint must predict as the trained model"
