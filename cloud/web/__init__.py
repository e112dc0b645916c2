"""The web UI: pages served by the cloud service, with their scripts, styles and Leaflet."""

from cloud.web.pages import NAV, install, router

__all__ = ["NAV", "install", "router"]
