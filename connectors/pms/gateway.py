"""The PMS port's implementation: a FHIR client per practice and call, and the file-export reader."""

from __future__ import annotations

import httpx

from connectors.pms.export_file import ExportFileError, read_export
from connectors.pms.fhir import FhirPmsClient
from router.appointments.records import ExportBatch
from router.core.pms_ports import PmsAddress, PmsClient, PmsRefused


class PmsConnectors:
    """Chooses the adapter a practice's address names; `transport` is for tests that want no sockets."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport

    def client(self, address: PmsAddress) -> PmsClient:
        if address.kind != "fhir" or not address.base_url:
            raise PmsRefused(
                "This practice's PMS is not reached over FHIR; its data arrives as file exports."
            )
        return FhirPmsClient(address.base_url, transport=self._transport)

    def read_export(self, text: str, *, file_name: str) -> ExportBatch:
        try:
            return read_export(text, file_name=file_name)
        except ExportFileError as exc:
            raise PmsRefused(str(exc)) from exc
