"""Export formats behind one registry: ``RENDERERS[format](data, style=..., template=...)``.

Every renderer has the same signature (:class:`Renderer`): it takes a :class:`ListDocument`
(from :func:`build_document`) or a plain sequence of :class:`RenderRecord` (listed as one
ungrouped, forward-numbered group) and returns the text to write. The list formats
(markdown, latex, html, text) are Jinja2 templates in ``pubdb/render/templates`` named
``<format>_<style>.<ext>.j2``; ``template=`` renders a user's own template with the same
``document`` variable and the escaping of the chosen format. csl-json and bibtex ignore the
style and write every entry.

Filters available to every template: ``stop`` (``"."`` unless the text already ends a
sentence) and ``authors_stop`` (the same for an entry's author list, so ``et al.`` gets no
second period).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from pubdb.errors import InputError
from pubdb.render.data import (
    GROUP_BY,
    KINDS,
    NUMBERING,
    STYLES,
    AuthorView,
    Entry,
    Group,
    ListDocument,
    RenderRecord,
    VenueView,
    build_document,
    map_strings,
)

__all__ = [
    "FORMATS",
    "GROUP_BY",
    "KINDS",
    "LIST_FORMATS",
    "NUMBERING",
    "RENDERERS",
    "STYLES",
    "AuthorView",
    "Entry",
    "Group",
    "ListDocument",
    "RenderRecord",
    "Renderer",
    "VenueView",
    "build_document",
    "render",
]

RenderInput = ListDocument | Sequence[RenderRecord]


class Renderer(Protocol):
    """The one signature every export format has."""

    def __call__(
        self,
        data: RenderInput,
        /,
        *,
        style: str | None = None,
        template: Path | None = None,
        standalone: bool = False,
        latex_escape: bool = False,
    ) -> str: ...


def _document(data: RenderInput, style: str | None) -> ListDocument:
    if isinstance(data, ListDocument):
        return data
    return build_document(list(data), style=style or "cv")


def _records(data: RenderInput) -> list[RenderRecord]:
    if isinstance(data, ListDocument):
        return [e.source for e in data.entries if e.source is not None]
    return list(data)


def _stop(text: Any) -> str:
    # (a LaTeX title may end inside a style: "\emph{Why?}" ends a sentence too)
    return "" if str(text).rstrip().rstrip("}")[-1:] in (".", "?", "!") else "."


def _authors_stop(entry: Entry) -> str:
    if entry.authors_truncated:
        return ""
    if not entry.authors:
        return "."
    last = entry.authors[-1]
    return _stop(last.display + last.marks)


_EXTENSIONS = {"markdown": "md", "latex": "tex", "html": "html", "text": "txt"}


def _environment(fmt: str, user_dir: Path | None = None) -> Any:
    import jinja2

    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("pubdb.render", "templates")]
    if user_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(user_dir)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["stop"] = _stop
    env.filters["authors_stop"] = _authors_stop
    return env


def _latex_titles(document: ListDocument, escaped: ListDocument) -> ListDocument:
    """``escaped`` with each title written from its source, text styles kept (``latex_title``)."""
    import dataclasses

    from pubdb.render.escape import latex_title

    groups = []
    for group, done in zip(document.groups, escaped.groups, strict=True):
        entries = []
        for entry, out in zip(group.entries, done.entries, strict=True):
            source = entry.source.record.title_bibtex if entry.source is not None else ""
            if source:
                out = dataclasses.replace(out, title=latex_title(source, entry.title))
            entries.append(out)
        groups.append(dataclasses.replace(done, entries=tuple(entries)))
    return dataclasses.replace(escaped, groups=tuple(groups))


def _escaped(document: ListDocument, fmt: str) -> ListDocument:
    from pubdb.render.escape import latex_escape, markdown_escape

    if fmt == "latex":
        return _latex_titles(document, map_strings(document, latex_escape))
    if fmt == "markdown":
        # Marks stay bare ("Ziniu Wu*"): a `*` after a word cannot open emphasis.
        return map_strings(document, markdown_escape, keep=frozenset({"marks"}))
    return map_strings(document, None)


def _render_list(
    fmt: str,
    data: RenderInput,
    style: str | None,
    template: Path | None,
    standalone: bool,
) -> str:
    import jinja2

    document = _document(data, style)
    style = style or document.style
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
    context = {"document": _escaped(document, fmt), "style": style}
    if template is None:
        env = _environment(fmt)
        body = env.get_template(f"{fmt}_{style}.{_EXTENSIONS[fmt]}.j2").render(context)
    else:
        path = Path(template)
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot read template ({exc.strerror or exc})", path=str(path)
            ) from exc
        except UnicodeDecodeError as exc:
            raise InputError("cannot read template (not UTF-8)", path=str(path)) from exc
        env = _environment(fmt, path.parent)
        try:
            body = env.from_string(source).render(context)
        except jinja2.TemplateSyntaxError as exc:
            message = f"template error: {exc.message}"
            raise InputError(message, path=str(path), line=exc.lineno) from exc
        except jinja2.TemplateError as exc:
            raise InputError(f"template error: {exc}", path=str(path)) from exc
    if standalone and fmt in ("latex", "html"):
        wrapper = env.get_template(f"{fmt}_document.{_EXTENSIONS[fmt]}.j2")
        body = wrapper.render(body=body, document=context["document"])
    return body


def _list_renderer(fmt: str) -> Renderer:
    def render_list(
        data: RenderInput,
        /,
        *,
        style: str | None = None,
        template: Path | None = None,
        standalone: bool = False,
        latex_escape: bool = False,
    ) -> str:
        return _render_list(fmt, data, style, template, standalone)

    render_list.__name__ = f"render_{fmt}"
    render_list.__doc__ = f"Render a {fmt} list from the ``{fmt}_<style>`` template."
    return render_list


def render_csl_json(
    data: RenderInput,
    /,
    *,
    style: str | None = None,
    template: Path | None = None,
    standalone: bool = False,
    latex_escape: bool = False,
) -> str:
    """CSL-JSON (an array of items) for pandoc's citeproc and Zotero."""
    from pubdb.render.csl import write_csl_json

    _no_template("csl-json", template)
    return write_csl_json(_records(data))


def render_bibtex(
    data: RenderInput,
    /,
    *,
    style: str | None = None,
    template: Path | None = None,
    standalone: bool = False,
    latex_escape: bool = False,
) -> str:
    """Clean BibTeX entries; ``latex_escape`` writes ASCII LaTeX instead of UTF-8."""
    from pubdb.render.bibtex import write_bibtex

    _no_template("bibtex", template)
    return write_bibtex([r.record for r in _records(data)], latex_escape=latex_escape)


def _no_template(fmt: str, template: Path | None) -> None:
    if template is not None:
        raise InputError(f"--template works with {', '.join(LIST_FORMATS)}, not {fmt}")


LIST_FORMATS: tuple[str, ...] = ("markdown", "latex", "html", "text")

RENDERERS: dict[str, Renderer] = {
    **{fmt: _list_renderer(fmt) for fmt in LIST_FORMATS},
    "csl-json": render_csl_json,
    "bibtex": render_bibtex,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(fmt: str, data: RenderInput, **options: Any) -> str:
    """Look up ``fmt`` in :data:`RENDERERS` and call it; an unknown format is an input error."""
    renderer: Callable[..., str] | None = RENDERERS.get(fmt)
    if renderer is None:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return renderer(data, **options)
