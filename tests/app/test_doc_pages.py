"""The reference pages: /language (PyTorch) links /language/dialects (docs/dialects.md)."""

from __future__ import annotations

import re

from chainrule.app.main import app
from fastapi.testclient import TestClient

from chainrule.resources import doc_path


def test_the_dialects_reference_is_served_and_linked() -> None:
    client = TestClient(app)
    language = client.get("/language")
    assert language.status_code == 200 and 'href="/language/dialects"' in language.text
    page = client.get("/language/dialects")
    assert page.status_code == 200
    # every level-2 heading of docs/dialects.md is on the page, rendered as a heading
    headings = [line[3:].strip() for line in doc_path("dialects.md").read_text().splitlines()
                if line.startswith("## ")]
    assert headings
    shown = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2>(.*?)</h2>", page.text)]
    assert shown == [h.replace("`", "") for h in headings]
    assert "<title>micrograd, TensorFlow and JAX — chainrule</title>" in page.text
