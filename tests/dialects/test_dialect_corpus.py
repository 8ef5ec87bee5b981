"""Issue 15's corpora: micrograd, TensorFlow and JAX snippets from public sources, run verbatim in
their own framework and in chainrule (values, gradients, shapes and error text equal the
oracle's). xfail(strict=True) where tests/dialects/expected.toml says a snippet does not match
yet; a fix shows as XPASS, then run `python3 -m tests.dialects.update_manifest`.
"""

from __future__ import annotations

import pytest

from tests.dialects.corpus_results import DIALECTS, manifest, oracle_available, outcomes, snippets

MIN_SNIPPETS = 20


def _param(s):
    marks = [pytest.mark.xfail(strict=True, reason=s.xfail)] if s.xfail else []
    return pytest.param(s, id=s.id, marks=marks)


@pytest.fixture(scope="session")
def dialect_outcomes(tmp_path_factory):
    cache: dict[str, dict] = {}

    def get(dialect: str) -> dict:
        if dialect not in cache:
            why = oracle_available(dialect)
            if why:
                pytest.skip(f"the {dialect} oracle cannot be imported here: {why}")
            cache[dialect] = outcomes(dialect, tmp_path_factory.getbasetemp().parent)
        return cache[dialect]

    return get


@pytest.mark.parametrize("snippet", [_param(s) for s in snippets()])
def test_snippet_matches_its_framework(snippet, dialect_outcomes):
    got = dialect_outcomes(snippet.dialect)[snippet.id]
    assert got["status"] == "match", "\n".join(got["differences"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_dialect_has_a_corpus_naming_its_sources(dialect):
    found = snippets(dialect)
    assert len(found) >= MIN_SNIPPETS
    for s in found:
        head = s.source.splitlines()[:3]
        assert [line.split(":")[0] for line in head] == ["# Source", "# Taken", "# Licence"], s.id
    for sid, note in manifest().items():
        assert set(note) <= {"random", "xfail", "refusal", "seconds"}, sid
