"""The page's assets (/static) with a Cache-Control of their own: `static_max_age` seconds
(settings), then the browser revalidates with the ETag and Last-Modified StaticFiles sends and
gets a 304. Not `immutable`: the asset URLs carry no version (the ES modules import each other
by plain relative paths), so a new deployment must be picked up within the max-age."""

from __future__ import annotations

import os
from typing import Any

from starlette.responses import Response
from starlette.staticfiles import StaticFiles


class CachedStaticFiles(StaticFiles):
    def __init__(self, *args: Any, max_age: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_control = f"public, max-age={max(0, int(max_age))}"

    def file_response(self, full_path: str | os.PathLike, stat_result: os.stat_result,
                      scope: Any, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = self.cache_control
        return response
