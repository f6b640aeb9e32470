"""The docs' code runs, and every test they point at exists."""
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_docs_refer_only_to_tests_that_exist():
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    names = set(re.findall(r"\b(test_\w+)\b", text))
    assert names, "the docs point at no tests"
    missing = sorted(n for n in names if not (ROOT / "tests" / f"{n}.py").exists()
                     and f"def {n}(" not in tests)
    assert not missing, f"docs refer to tests that do not exist: {missing}"


def test_docs_refer_only_to_code_that_exists():
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    for path in set(re.findall(r"`((?:tinygrad_cnn/)?(?:ops/)?\w+\.py)", text)):
        candidates = [ROOT / path, ROOT / "tinygrad_cnn" / path, ROOT / "tinygrad_cnn" / "ops" / path,
                      ROOT / "tests" / path]
        assert any(c.exists() for c in candidates), path


def test_custom_ops_examples_run():
    text = (ROOT / "docs" / "custom_ops.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    namespace: dict = {}
    exec(compile("\n".join(blocks), "custom_ops.md", "exec"), namespace)
    np.testing.assert_allclose(namespace["y"].data, [-0.1, 2.0], rtol=1e-6)


def test_gradcheck_defaults_in_the_docs_are_the_code_defaults():
    import inspect

    from tinygrad_cnn import gradcheck

    defaults = {k: p.default for k, p in inspect.signature(gradcheck).parameters.items()
                if p.default is not inspect.Parameter.empty}
    for doc in ("custom_ops.md", "testing.md"):
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        stated = dict(re.findall(r"\b(eps|atol|rtol)=([0-9.e-]+)", text))
        assert set(stated) == {"eps", "atol", "rtol"}, doc
        assert {k: float(v) for k, v in stated.items()} == {k: defaults[k] for k in stated}, doc
