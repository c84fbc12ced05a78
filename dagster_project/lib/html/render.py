"""The one Jinja2 environment that renders every HTML page of the project.

Templates live in ``templates/`` next to this module (shipped as package data): ``base.html.j2``
is the page skeleton every report extends (doctype, charset, a Content-Security-Policy that
forbids fetching anything, the shared CSS, header and footer blocks); each page has its own
template that fills the blocks.

Escaping has one rule: Jinja2 autoescape (markupsafe) escapes every value a template prints.
The only values inserted as they are are :class:`markupsafe.Markup` objects, i.e. the inline SVG
charts of :mod:`.charts`, which escape their own text with :func:`markupsafe.escape`. A missing
template variable is an error (``StrictUndefined``), not an empty string.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

ENVIRONMENT = Environment(
    loader=PackageLoader("dagster_project.lib.html", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_template(name: str, **context: Any) -> str:
    """The template ``templates/<name>`` rendered with ``context`` (autoescaped)."""
    return ENVIRONMENT.get_template(name).render(**context)
