"""The reader: web pages, a JSON API and Atom feeds over the stored stories and briefs.

Needs the ``web`` extra (FastAPI, uvicorn). Start it with ``newsweave serve`` or build the app
with ``create_app(settings)`` and hand it to any ASGI server.
"""

from newsweave.web.app import create_app

__all__ = ["create_app"]
