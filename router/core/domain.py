"""Everything a domain action needs, assembled once per process by the composition root."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.core.cache import TtlCache
from router.core.clock import Clock, sessions_on_clock
from router.core.crypto import BlindIndex, FieldCipher
from router.core.pms_ports import PmsGateway, PmsNotConfigured
from router.core.ports import (
    AttributionEngine,
    AttributionNotConfigured,
    ChatNotConfigured,
    ChatReplies,
    EmailNotConfigured,
    EmailSender,
    EventAnnouncer,
    JobScheduler,
    LeadScorer,
    NoPatientDirectory,
    NoScanner,
    NoScorer,
    NullAnnouncer,
    PatientDirectory,
    PatientEmailNotConfigured,
    PatientEmailSender,
    PhoneGateway,
    PhonesNotConfigured,
    SmsNotConfigured,
    SmsSender,
    VirusScanner,
)
from router.core.settings import Settings
from router.core.unit_of_work import UnitOfWork


class _NoJobs:
    async def schedule_escalation(self, lead_id, *, level, at) -> None:  # type: ignore[no-untyped-def]
        return None

    async def schedule_text(self, message_id, *, at) -> None:  # type: ignore[no-untyped-def]
        return None

    async def schedule_nurture_send(self, message_id, *, at) -> None:  # type: ignore[no-untyped-def]
        return None

    async def schedule_pms_sync(self, practice_id, *, at) -> None:  # type: ignore[no-untyped-def]
        return None


@dataclass
class Domain:
    """The domain's dependencies: database sessions, PHI keys, clock and the outside world's ports."""

    sessionmaker: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    blind_index: BlindIndex
    settings: Settings
    clock: Clock = field(default_factory=Clock)
    lookups: TtlCache[object] = field(default_factory=TtlCache)
    """Form sources and practice configuration, read on every webhook (see router/cache.py)."""
    announcer: EventAnnouncer = field(default_factory=NullAnnouncer)
    jobs: JobScheduler = field(default_factory=_NoJobs)
    scorer: LeadScorer = field(default_factory=NoScorer)
    sms: SmsSender = field(default_factory=SmsNotConfigured)
    email: EmailSender = field(default_factory=EmailNotConfigured)
    patient_email: PatientEmailSender = field(default_factory=PatientEmailNotConfigured)
    phones: PhoneGateway = field(default_factory=PhonesNotConfigured)
    attribution: AttributionEngine = field(default_factory=AttributionNotConfigured)
    patients: PatientDirectory = field(default_factory=NoPatientDirectory)
    """The practice-management patients for lead-to-patient matching (router/matching/queue.py)."""
    scanner: VirusScanner = field(default_factory=NoScanner)
    chat: ChatReplies = field(default_factory=ChatNotConfigured)
    pms: PmsGateway = field(default_factory=PmsNotConfigured)

    def __post_init__(self) -> None:
        # Sessions carry this domain's clock (read when the clock is replaced, too) for the rows
        # written with only a session at hand.
        self.sessionmaker = sessions_on_clock(self.sessionmaker, lambda: self.clock)

    def transaction(self) -> UnitOfWork:
        """`async with domain.transaction() as session:` one transaction; its events ring the boards
        after it commits (router/core/unit_of_work.py)."""
        return UnitOfWork(self.sessionmaker, self.announcer)

    def forget_practice(self, practice_id: uuid.UUID) -> None:
        """Drop this process's cached configuration of a practice (its settings, locations, form sources).

        The process that saves a change calls it at once; every web process's hub calls it when the
        `practice.configured` event arrives; the cache's few seconds' lifetime covers a process that
        missed both (a hub that lost Redis and the database for a moment).
        """
        self.lookups.drop(("practice", practice_id))
        self.lookups.drop_where(
            lambda key, value: (
                isinstance(key, tuple)
                and key[0] == "form_source"
                and getattr(value, "practice_id", None) == practice_id
            )
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], **ports: object
    ) -> Domain:
        return cls(
            sessionmaker=sessionmaker,
            cipher=FieldCipher.from_config(settings.security.phi_keys),
            blind_index=BlindIndex.from_config(settings.security.blind_index_key),
            settings=settings,
            **ports,  # type: ignore[arg-type]
        )
