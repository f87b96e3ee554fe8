"""Every staff-facing route handler of the web app, in one list (webhooks come from connectors/)."""

from __future__ import annotations

from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from web.api import LeadsController
from web.auth_routes import login, login_page, logout
from web.health import healthz, readyz
from web.pages import home
from web.paths import STATIC_DIR

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    healthz,
    readyz,
    home,
    login_page,
    login,
    logout,
    LeadsController,
    create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
]
