from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from leadrouter.model_training import retrain_models, retraining_cron
from router.core.clock import FrozenClock
from router.core.models import ModelVersion
from router.core.settings import ScoringSettings
from tests.factories import make_practice
from tests.scores.conftest import SMALL_TREES


@pytest.mark.integration
async def test_monthly_retraining_trains_a_pooled_challenger_and_promotes_it(domain):
    await make_practice(domain)  # no closed leads: served by the pooled model
    domain.clock = FrozenClock(datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    first = await retrain_models({"domain": domain}, leads_per_day=1.0, xgboost_params=SMALL_TREES)
    assert first["bright"]["skipped"].startswith("0 closed leads")
    assert first["pooled"]["promoted"] is True and first["pooled"]["replaced"] is None

    domain.clock = FrozenClock(datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
    second = await retrain_models({"domain": domain}, leads_per_day=1.0, xgboost_params=SMALL_TREES)
    assert second["pooled"]["version"] != first["pooled"]["version"]
    async with domain.sessionmaker() as session:
        statuses = dict((await session.execute(select(ModelVersion.version, ModelVersion.status))).all())
    if second["pooled"]["promoted"]:  # judged on the new holdout against the March champion
        assert statuses == {first["pooled"]["version"]: "retired", second["pooled"]["version"]: "active"}
    else:
        why = second["pooled"]["why"]  # the rule's words: the AUC interval, or the calibration slope
        assert f"against {first['pooled']['version']}" in why and ("95% interval" in why or "slope" in why)
        assert statuses[first["pooled"]["version"]] == "active"


@pytest.mark.unit
def test_retraining_schedule_comes_from_a_crontab_setting():
    monthly = retraining_cron(ScoringSettings(retrain_cron="0 3 1 * *"))
    assert (monthly.minute, monthly.hour, monthly.day, monthly.month) == (0, 3, 1, None)
    weekly = retraining_cron(ScoringSettings(retrain_cron="30 2 * * 0,3"))
    assert (weekly.minute, weekly.hour, weekly.weekday) == (30, 2, {0, 3})
    with pytest.raises(ValueError, match="5 crontab fields"):
        retraining_cron(ScoringSettings(retrain_cron="monthly"))
