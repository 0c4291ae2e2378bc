"""Turn Korean conference notes (Markdown) into a print PDF and an EPUB."""

from __future__ import annotations

__version__ = "0.1.0"
