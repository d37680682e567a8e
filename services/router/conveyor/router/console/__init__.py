"""The console: the web page managers and operators read, as static files (HTML, CSS and
the project's own JavaScript modules; nothing is fetched from elsewhere)."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
