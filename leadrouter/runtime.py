"""The composition root: assembles settings, database, Redis, the domain and its ports, once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from arq import ArqRedis
from litestar import Litestar
from redis.asyncio import ConnectionPool
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.forms.webhook import FormWebhookController
from realtime.announcer import RedisAnnouncer
from router.context import Domain
from router.db import make_engine, make_sessionmaker
from router.jobs import ArqJobScheduler
from router.settings import Settings, get_settings
from web.app import create_app

log = logging.getLogger("leadrouter")


@dataclass
class Runtime:
    """Everything one process shares: engine, Redis connection, the domain."""

    settings: Settings
    engine: AsyncEngine
    redis: ArqRedis
    domain: Domain

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Connect lazily (nothing is opened until first use, inside the serving event loop)."""
    settings = settings or get_settings()
    if not settings.database.url or not settings.redis.url:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set (the run command sets them for you)")
    engine = make_engine(settings.database.url, pool_size=settings.database.pool_size)
    redis = ArqRedis(connection_pool=ConnectionPool.from_url(settings.redis.url))
    domain = Domain.from_settings(
        settings,
        make_sessionmaker(engine),
        announcer=RedisAnnouncer(redis, settings.redis.events_channel),
        jobs=ArqJobScheduler(redis, settings.redis.queue_name),
    )
    return Runtime(settings=settings, engine=engine, redis=redis, domain=domain)


def build_web_app(runtime: Runtime | None = None) -> Litestar:
    """The web app with every connector's webhooks mounted."""
    runtime = runtime or build_runtime()
    return create_app(
        runtime.domain,
        runtime.redis,
        route_handlers=[FormWebhookController],
        on_shutdown=[runtime.close],
        debug=False,
    )


def create_web_app() -> Litestar:
    """uvicorn factory entry point (`leadrouter web`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return build_web_app()
