"""The widget's and page's static files, loaded once and served with validators and cache headers.

Pages link each asset as `/site-assets/<name>?v=<hash>`: a request carrying the current hash may be
cached for a year (a new version gets a new URL); any other request must revalidate (ETag).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSET_URL_PREFIX = "/site-assets"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CACHE_FINGERPRINTED = "public, max-age=31536000, immutable"
CACHE_REVALIDATE = "no-cache"


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    content_type: str
    version: str  # first 12 hex digits of the SHA-256 of the body

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    @property
    def url(self) -> str:
        return f"{ASSET_URL_PREFIX}/{self.name}?v={self.version}"

    def cache_control(self, requested_version: str | None) -> str:
        return CACHE_FINGERPRINTED if requested_version == self.version else CACHE_REVALIDATE


def load_assets(directory: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file of a known type in `directory` (flat), by file name."""
    assets = {}
    for path in sorted(directory.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if path.is_file() and content_type:
            body = path.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            assets[path.name] = Asset(path.name, body, content_type, version)
    return assets
