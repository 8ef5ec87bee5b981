"""HTML pages: the player at /, the embeddable player at /embed (options in the query), and the
language reference at /language (docs/language.md, rendered when asked for)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chainrule.app.query import clamped_int
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from chainrule.resources import doc_path, static_dir, templates_dir

TEMPLATES = Jinja2Templates(directory=str(templates_dir()))
JS_DIR = static_dir() / "js"
LANGUAGE_DOC = doc_path("language.md")
DIALECTS_DOC = doc_path("dialects.md")

router = APIRouter(include_in_schema=False)

# Embed options: query name → (allowed values, default). An unknown value falls back to the
# default rather than failing: a typo in a course page should still show the lesson.
# docs/embedding.md documents them; static/js/share.js builds them from the defaults the page
# carries (templates/_share.html, `embed_defaults`): this table is their one source.
EMBED_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "editor": (("hide", "show", "edit"), "hide"),   # the program: hidden, read-only, editable
    "inputs": (("show", "hide"), "show"),           # free-variable sliders
    "controls": (("all", "step", "none"), "all"),   # "step": step back/forward only
    "theme": (("auto", "light", "dark"), "auto"),
    "autoplay": (("0", "1"), "0"),
    "present": (("0", "1"), "0"),                   # presenter mode: large type (issue 14)
}
MAX_START_STEP = 10**9


def embed_options(query: dict[str, str]) -> dict[str, str | int | None]:
    """The embed's options from its query string, each one valid or its default."""
    opts: dict[str, str | int | None] = {
        name: query.get(name) if query.get(name) in allowed else default
        for name, (allowed, default) in EMBED_OPTIONS.items()}
    opts["step"] = clamped_int(query.get("step"), -1, MAX_START_STEP)   # `²`: None, not a 500
    return opts


@lru_cache(maxsize=1)
def preloaded_modules() -> tuple[str, ...]:
    """main.js and everything it imports, so the page can ask for all of them at once
    (`<link rel=modulepreload>`) instead of discovering them one import level at a time."""
    from chainrule.app.bundle import module_order
    return tuple(p.relative_to(JS_DIR).as_posix() for p in module_order(JS_DIR / "main.js"))


TEMPLATES.env.globals["preloaded_modules"] = preloaded_modules
TEMPLATES.env.globals["embed_defaults"] = {name: default for name, (_, default)
                                           in EMBED_OPTIONS.items()}


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    theme = request.query_params.get("theme")
    return TEMPLATES.TemplateResponse(request, "index.html", {
        "embed": False, "theme": theme if theme in ("light", "dark") else "auto"})


@router.get("/embed", response_class=HTMLResponse)
async def embed(request: Request) -> HTMLResponse:
    opts = embed_options(dict(request.query_params))
    return TEMPLATES.TemplateResponse(request, "embed.html", {
        "embed": True, "opts": opts, "theme": opts["theme"]})


@lru_cache(maxsize=4)
def _rendered(text: str) -> str:
    """Markdown to HTML (CommonMark and tables; raw HTML in the file is escaped, not passed)."""
    from markdown_it import MarkdownIt
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def language_html(doc: Path | None = None) -> str | None:
    """docs/language.md (or another doc) as HTML, read on each request (a few KB: the page
    follows the file without a restart); None while the file does not exist."""
    try:
        text = (doc or LANGUAGE_DOC).read_text(encoding="utf-8")
    except OSError:
        return None
    return _rendered(text)


def _doc_page(request: Request, doc: Path, title: str) -> HTMLResponse:
    theme = request.query_params.get("theme")
    body = language_html(doc)
    return TEMPLATES.TemplateResponse(request, "language.html", {
        "theme": theme if theme in ("light", "dark") else "auto", "title": title,
        "content": Markup(body) if body is not None else None}, status_code=200 if body else 404)


@router.get("/language", response_class=HTMLResponse)
async def language(request: Request) -> HTMLResponse:
    return _doc_page(request, LANGUAGE_DOC, "The language")


@router.get("/language/dialects", response_class=HTMLResponse)
async def dialects(request: Request) -> HTMLResponse:
    """micrograd, TensorFlow and JAX programs: what each dialect runs (docs/dialects.md)."""
    return _doc_page(request, DIALECTS_DOC, "micrograd, TensorFlow and JAX")
