"""HTML to PDF with WeasyPrint, which lays text out with Pango (Debian: libpango-1.0-0,
libpangoft2-1.0-0; ``scripts/pango.sh`` installs them).

WeasyPrint loads Pango when it is first imported; on a machine without it the
import fails (``OSError: cannot load library``). :func:`weasyprint_module`
turns that into :class:`PdfUnavailable`, which the document routes answer with
a 503 page in words, never a traceback. Stylesheets are read from this
package's ``static`` folder by path and every other URL is refused, so a
document never fetches anything from the network.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: The message of the 503 page when WeasyPrint or Pango cannot be loaded.
UNAVAILABLE_MESSAGE = (
    "PDF documents cannot be made on this server: the WeasyPrint library or Debian's Pango "
    "text layout (libpango-1.0-0, libpangoft2-1.0-0) is not installed. Ask the administrator "
    "to run scripts/pango.sh. The page itself can still be printed from the browser."
)


class PdfUnavailable(Exception):
    """WeasyPrint or Pango is missing: no PDF can be made (the routes answer 503)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{UNAVAILABLE_MESSAGE} ({detail})")
        self.detail = detail


def weasyprint_module() -> ModuleType:
    """The ``weasyprint`` module, or :class:`PdfUnavailable` naming what failed to load."""
    try:
        return importlib.import_module("weasyprint")
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        ) from error


def html_to_pdf(html: str, *, stylesheets: Sequence[Path] = ()) -> bytes:
    """The PDF of ``html`` (A4 by the stylesheets' ``@page``), styled by ``stylesheets``
    (files, applied as print media); :class:`PdfUnavailable` without WeasyPrint/Pango."""
    weasyprint = weasyprint_module()
    # No protocol allowed: a document's HTML names no image, font or sheet to fetch.
    no_fetch = weasyprint.urls.URLFetcher(allowed_protocols=())
    sheets = [weasyprint.CSS(filename=str(path), url_fetcher=no_fetch) for path in stylesheets]
    document = weasyprint.HTML(string=html, url_fetcher=no_fetch, media_type="print")
    pdf: bytes = document.write_pdf(stylesheets=sheets)
    return pdf
