"""Per-lead cost of sealing an inquiry's PHI fields (the intake's share of encryption).

Seals the seven values one form inquiry writes (first and last name, phone, email, date of birth on
the lead; the message on the touchpoint; the IP on the consent record), each bound to its column and
row, and prints the best of five runs. `python bench/phi_cipher_bench.py`
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.core.crypto import FieldCipher, generate_key
from router.core.phi_columns import (
    CONSENT_IP,
    LEAD_DATE_OF_BIRTH,
    LEAD_EMAIL,
    LEAD_FIRST_NAME,
    LEAD_LAST_NAME,
    LEAD_PHONE,
    TOUCHPOINT_MESSAGE,
)

VALUES = (
    (LEAD_FIRST_NAME, "Ana"),
    (LEAD_LAST_NAME, "Lopez"),
    (LEAD_PHONE, "+15128675309"),
    (LEAD_EMAIL, "ana.lopez@example.com"),
    (LEAD_DATE_OF_BIRTH, "1987-03-14"),
    (TOUCHPOINT_MESSAGE, "Do you take Delta Dental? My daughter needs braces soon."),
    (CONSENT_IP, "203.0.113.9"),
)
LEADS = 20_000


def main() -> None:
    cipher = FieldCipher.from_config(f"k1:{generate_key()}")
    row_ids = [uuid.uuid4() for _ in range(LEADS)]

    def seal_all() -> None:
        for row_id in row_ids:
            for column, value in VALUES:
                cipher.seal(value, column=column, row_id=row_id)

    seal_all()  # warm up
    best = min(_timed(seal_all) for _ in range(5))
    print(f"sealing one inquiry's {len(VALUES)} PHI values: {best / LEADS * 1e6:.1f} us per lead")


def _timed(work) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
