"""A screenshot of every gallery example (tests/artifacts/, gitignored), at the last step, in
light at 1280 px and dark at 390 px; each must render its whole graph without a console error."""

from __future__ import annotations

import pytest
from chainrule.app.gallery import GALLERY

from tests.browser.helpers import open_example

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("example", [g[0] for g in GALLERY])
def test_screenshot(new_page, server_url, artifacts, example):
    for width, height, scheme in [(1280, 900, "light"), (390, 844, "dark")]:
        page = new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
        open_example(page, server_url, example)
        nodes = int(page.evaluate("document.body.dataset.nodes"))
        assert page.locator("[data-node-id]").count() == nodes
        page.click("[data-testid=to-end]")
        page.wait_for_timeout(350)
        page.screenshot(path=str(artifacts / f"{example}-{width}-{scheme}.png"), full_page=True)
