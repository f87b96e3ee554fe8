"""The SMTP email connector: the standard library's smtplib, one connection per message, in a thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from connectors.email.patient import patient_message
from connectors.email.settings import EmailSettings
from router.core.ports import EmailRefused, PatientEmail


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to submit mail; built from EmailSettings (LEADROUTER_SMTP_*)."""

    host: str
    port: int
    from_address: str
    username: str = ""
    password: str = ""
    starttls: bool = True
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: EmailSettings) -> SmtpConfig:
        return cls(
            host=settings.host,
            port=settings.port,
            from_address=settings.from_address,
            username=settings.username,
            password=settings.password,
            starttls=settings.starttls,
            timeout_seconds=settings.timeout_seconds,
        )


class SmtpEmailSender:
    """Implements router.ports.EmailSender; holds only its config, so one instance serves every call."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def _message(self, *, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._config.from_address
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        sender_domain = parseaddr(self._config.from_address)[1].partition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=sender_domain)
        message.set_content(body)
        return message

    def _submit(self, message: EmailMessage) -> None:
        config = self._config
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password)
            smtp.send_message(message)

    async def send_email(self, *, to: str, subject: str, body: str) -> str:
        """Submit one plain-text message; raises smtplib/OSError errors for the caller to record."""
        message = self._message(to=to, subject=subject, body=body)
        # smtplib blocks; a thread keeps the worker's event loop (and other jobs) running meanwhile.
        await asyncio.to_thread(self._submit, message)
        return str(message["Message-ID"])

    def _submit_patient(self, message: EmailMessage, sender: str) -> None:
        """Connect and log in (a failure there sent nothing), then hand over (a failure there may have)."""
        config = self._config
        try:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailRefused(f"mail server unreachable: {exc}", permanent=False) from exc
        with smtp:
            try:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.username:
                    smtp.login(config.username, config.password)
            except (OSError, smtplib.SMTPException) as exc:
                raise EmailRefused(f"mail server refused the session: {exc}", permanent=False) from exc
            try:
                smtp.send_message(message, from_addr=sender)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                raise EmailRefused(
                    f"address refused ({codes})", permanent=all(c >= 500 for c in codes)
                ) from exc
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                raise EmailRefused(f"refused ({exc.smtp_code})", permanent=exc.smtp_code >= 500) from exc

    async def send_patient_email(self, email: PatientEmail) -> str:
        """Submit one patient email; EmailRefused when certainly not accepted, else outcome unknown."""
        message = patient_message(email, default_from=self._config.from_address)
        await asyncio.to_thread(self._submit_patient, message, email.sender_address)
        return str(message["Message-ID"])
