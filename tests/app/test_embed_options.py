"""The embed's options have one source, app/pages.py EMBED_OPTIONS (issue 12, the twins): the
page carries their defaults on the Embed form (static/js/share.js leaves a default out of the
snippet's URL: tests/browser/test_share.py), and the form offers exactly the allowed values."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from chainrule.app.pages import EMBED_OPTIONS, embed_options

# a checkbox stands for a two-valued option: checked is the first value of the pair
CHECKED = {"inputs": "show", "autoplay": "1", "present": "1"}


class EmbedForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.defaults: dict | None = None
        self.choices: dict[str, list[str]] = {}
        self.checked: dict[str, bool] = {}
        self._form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("data-role") == "options":
            self._form = True
            self.defaults = json.loads(a["data-defaults"])
        elif self._form and tag == "select":
            self._select = a["name"]
            self.choices[self._select] = []
        elif self._form and tag == "option" and self._select:
            self.choices[self._select].append(a["value"])
        elif self._form and tag == "input" and a.get("type") == "checkbox":
            self.checked[a["name"]] = "checked" in a

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = False
        elif tag == "select":
            self._select = None


def test_the_embed_form_carries_the_servers_options(client):
    form = EmbedForm()
    form.feed(client.get("/").text)
    assert form.defaults == {name: default for name, (_, default) in EMBED_OPTIONS.items()}
    for name, (allowed, default) in EMBED_OPTIONS.items():
        if name in form.choices:
            assert tuple(form.choices[name]) == allowed, name
            assert form.choices[name][0] == default, name   # the first is selected
        else:
            assert len(allowed) == 2 and CHECKED[name] in allowed, name
            assert form.checked[name] == (default == CHECKED[name]), name
    assert set(form.choices) | set(CHECKED) == set(EMBED_OPTIONS)


def test_the_embed_page_reads_the_same_table():
    assert embed_options({}) == {**{n: d for n, (_, d) in EMBED_OPTIONS.items()}, "step": None}
    assert embed_options({"controls": "step", "theme": "nope"})["controls"] == "step"
    assert embed_options({"theme": "nope"})["theme"] == "auto"
