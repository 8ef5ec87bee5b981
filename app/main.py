"""The app factory: settings, middleware, routers, static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__, api, pages
from app.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(title="chainrule", version=__version__,
                  description="See backpropagation: trace a PyTorch-flavoured snippet and play "
                              "its forward and backward pass.")
    app.state.settings = settings or Settings.from_env()
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


app = create_app()
