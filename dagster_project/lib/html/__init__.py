"""HTML rendering: Jinja2 templates and inline SVG charts."""
