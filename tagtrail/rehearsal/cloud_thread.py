"""The cloud service on a thread of this process, for rehearsals and tests."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import uvicorn

from cloud.app import create_app
from cloud.settings import CloudSettings

logger = logging.getLogger(__name__)


class CloudThread:
    """uvicorn serving create_app(settings) until stop()."""

    def __init__(self, settings: CloudSettings) -> None:
        self.settings = settings
        config = uvicorn.Config(
            create_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="cloud", daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return f"http://{self.settings.http_host}:{self.settings.http_port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start serving and wait until /readyz answers."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready():
                return
            if not self._thread.is_alive():
                break
            time.sleep(0.2)
        raise RuntimeError(f"cloud service did not become ready at {self.url}")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout: float = 30.0) -> None:
        """Shut down (the lifespan stops the ingest and closes the database)."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> CloudThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
