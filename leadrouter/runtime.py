"""The composition root: assembles settings, database, Redis, the domain and its ports, once per process."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

from arq import ArqRedis
from litestar import Litestar
from redis.asyncio import ConnectionPool
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.chat_transcript.webhook import ChatTranscriptController
from connectors.chatwoot.client import ChatwootReplies
from connectors.chatwoot.webhook import ChatwootWebhookController
from connectors.clamav.scanner import ClamdScanner
from connectors.email.inbound_webhook import INBOUND_EMAIL_HANDLERS
from connectors.email.settings import EmailSettings
from connectors.email.smtp import SmtpConfig, SmtpEmailSender
from connectors.forms.webhook import FormWebhookController
from connectors.pms.gateway import PmsConnectors
from connectors.pms.notify_webhook import PmsNotificationController
from connectors.tracking.collect import TRACKING_HANDLERS
from connectors.twilio.config import TwilioConfig
from connectors.twilio.gateway import TwilioPhoneGateway
from connectors.twilio.webhooks import twilio_webhooks
from leadrouter.attribution_engine import PackageAttributionEngine
from leadrouter.logs import log_level
from leadrouter.scoring_service import RegistryScorer
from realtime.announcer import RedisAnnouncer
from router.core.db import make_engine, make_sessionmaker
from router.core.domain import Domain
from router.core.jobs import ArqJobScheduler, json_deserializer, json_serializer
from router.core.settings import Settings, get_settings
from router.matching.patients import SyncedPatients
from router.phones.texts import RuleCheckedSmsSender
from web.app import create_app
from web.board_fragments import make_board_hub

log = logging.getLogger("leadrouter")

GC_THRESHOLDS = (50_000, 50, 100)
"""Young-generation collections every 50,000 allocations instead of 700: a webhook allocates
thousands of short-lived objects, and collecting that often cost more than it freed."""


@dataclass
class Runtime:
    """Everything one process shares: engine, Redis connection, the domain."""

    settings: Settings
    engine: AsyncEngine
    redis: ArqRedis
    domain: Domain
    scorer: RegistryScorer
    twilio: TwilioConfig | None = None
    """The Twilio account when configured (LEADROUTER_TWILIO_*): its webhooks are mounted."""

    async def start(self) -> None:
        """Load the active lead-score models and follow promotions (web and worker start-up)."""
        await self.scorer.start()

    async def close(self) -> None:
        await self.scorer.stop()
        await self.redis.aclose()
        await self.engine.dispose()


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Connect lazily (nothing is opened until first use, inside the serving event loop)."""
    settings = settings or get_settings()
    if not settings.database.url or not settings.redis.url:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set (the run command sets them for you)")
    engine = make_engine(settings.database.url, pool_size=settings.database.pool_size)
    # The same JSON serializer as the worker: a pickled job would fail to load there.
    redis = ArqRedis(
        connection_pool=ConnectionPool.from_url(settings.redis.url),
        job_serializer=json_serializer,
        job_deserializer=json_deserializer,
    )
    email = EmailSettings()
    smtp = SmtpEmailSender(SmtpConfig.from_settings(email)) if email.host else None
    email_port = {"email": smtp, "patient_email": smtp} if smtp else {}
    sessionmaker = make_sessionmaker(engine)
    scorer = RegistryScorer(
        sessionmaker,
        redis,
        events_channel=settings.redis.events_channel,
        check_seconds=settings.scoring.models_check_seconds,
    )
    domain = Domain.from_settings(
        settings,
        sessionmaker,
        announcer=RedisAnnouncer(redis, settings.redis.events_channel),
        jobs=ArqJobScheduler(redis, settings.redis.queue_name),
        scorer=scorer,
        attribution=PackageAttributionEngine(),
        chat=ChatwootReplies(),
        pms=PmsConnectors(),
        **email_port,
    )
    domain.patients = SyncedPatients(domain.cipher)
    if settings.intake.clamd_address:
        host, _, port = settings.intake.clamd_address.rpartition(":")
        domain.scanner = ClamdScanner(host or "127.0.0.1", int(port))
    twilio = TwilioConfig.from_settings(settings)
    if twilio is not None:
        domain.phones = TwilioPhoneGateway(twilio)
        domain.sms = RuleCheckedSmsSender(domain)
    return Runtime(settings=settings, engine=engine, redis=redis, domain=domain, scorer=scorer, twilio=twilio)


def build_web_app(runtime: Runtime | None = None) -> Litestar:
    """The web app with every connector's webhooks mounted."""
    runtime = runtime or build_runtime()
    hub = make_board_hub(runtime.domain, runtime.redis)
    app = create_app(
        runtime.domain,
        runtime.redis,
        route_handlers=[
            FormWebhookController,
            ChatwootWebhookController,
            ChatTranscriptController,
            PmsNotificationController,
            *TRACKING_HANDLERS,
            *INBOUND_EMAIL_HANDLERS,
            *([twilio_webhooks(runtime.twilio)] if runtime.twilio else []),
        ],
        on_startup=[runtime.start, hub.start],
        on_shutdown=[hub.stop, runtime.close],
        debug=False,
    )
    app.state.board_hub = hub
    return app


def create_web_app() -> Litestar:
    """uvicorn factory entry point (`leadrouter web`)."""
    logging.basicConfig(level=log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_web_app()
    # The model stack and ORM leave ~10^6 long-lived objects; without this every full collection
    # walks them all and stalls every socket for tens of milliseconds (seen as p95 spikes).
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app
