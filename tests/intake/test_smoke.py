import pytest

from tests.factories import inquiry, make_practice, signed

pytestmark = pytest.mark.integration


async def test_signed_inquiry_creates_a_lead(client, domain):
    practice = await make_practice(domain, staff={"desk@bright.example": {}})
    raw, headers = signed(inquiry(), practice.secret)
    response = await client.post(f"/webhooks/forms/{practice.form_key}", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "created"
