"""Patient emails as MIME: plain text and responsive HTML, the practice as sender, one-click unsubscribe.

Headers follow RFC 2369 and RFC 8058: `List-Unsubscribe` carries our HTTPS link and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` tells mail apps they may POST to it without
showing a page. The HTML is rendered from the same text with inlined styles (mail apps drop
`<style>` blocks and stylesheets), one column so it reads on a phone.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from router.core.ports import PatientEmail

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
_URL = re.compile(r"https?://[^\s<>\"']+")


def _linkify(paragraph: str) -> Markup:
    """Escape a paragraph and turn its URLs into links (the only markup a template's text gets)."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(paragraph):
        parts.append(str(escape(paragraph[last : match.start()])))
        url = escape(match.group(0))
        parts.append(f'<a href="{url}" style="color:#0b5cad;text-decoration:underline">{url}</a>')
        last = match.end()
    parts.append(str(escape(paragraph[last:])))
    return Markup("<br>".join("".join(parts).split("\n")))


def html_body(email: PatientEmail) -> str:
    paragraphs = [_linkify(p.strip()) for p in re.split(r"\n\s*\n", email.text) if p.strip()]
    return _templates.get_template("patient_email.html").render(
        subject=email.subject,
        paragraphs=paragraphs,
        sender_name=email.sender_name,
        unsubscribe_url=email.unsubscribe_url,
        open_pixel_url=email.open_pixel_url,
    )


def patient_message(email: PatientEmail, *, default_from: str) -> EmailMessage:
    """The complete message, ready for SMTP (from the deployment's address when the practice set none)."""
    message = EmailMessage()
    sender = email.sender_address or parseaddr(default_from)[1]
    domain = sender.partition("@")[2] or None
    message["From"] = formataddr((email.sender_name, sender))
    message["To"] = str(Address(addr_spec=email.to))
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    # the reply token in the Message-ID comes back in replies (In-Reply-To) and in bounces' headers
    message["Message-ID"] = make_msgid(
        idstring=f"nm-{email.reply_token}" if email.reply_token else None, domain=domain
    )
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Leadrouter-Message"] = email.message_key
    footer = f"\n\n--\n{email.sender_name}\nTo stop these emails: {email.unsubscribe_url}\n"
    message.set_content(email.text + footer)
    message.add_alternative(html_body(email), subtype="html")
    return message
