"""The Python example in docs/input-files.md runs and says what it claims."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).parents[2] / "docs" / "input-files.md"


def test_doc_example(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    (tmp_path / "data.csv").write_text(
        "id,y,p_cat,p_dog\n1,cat,0.9,0.1\n2,dog,0.2,0.8\n\n3,dog,0.4,0.6\n"
    )
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, str(DOC), "exec"), scope)
    assert scope["names"] == ["id", "y", "p_cat", "p_dog"]
    assert scope["preds"] == ["p_cat", "p_dog"]
    np.testing.assert_array_equal(scope["p_cat"], [0.9, 0.2, 0.4])
    assert scope["labels"].tolist() == ["cat", "dog", "dog"]
    assert scope["line"] == 5
