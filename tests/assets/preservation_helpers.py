"""Building assets and measures for the assets-service tests, through the services."""

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from assets.models import Asset, AssetKind, MeasureKind, MeasureStage, PreservationMeasure
from assets.services import asset_record, measure_record
from recovery.checks.identity import credit_code_with_check
from recovery.models import CaseParty, Party, PartyKind, PartyRole

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADDRESS = "上海市浦东新区XX路1号房产"
_numbers = count(1)


def at(day: str, clock: str = "10:00") -> datetime:
    """An aware registration time in Shanghai."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=SHANGHAI)


def company(name: str = "某某实业有限公司") -> Party:
    n = next(_numbers)
    return Party.objects.create(
        kind=PartyKind.COMPANY, name=f"{name}{n}", id_number=credit_code_with_check(f"9131011500{n:07d}")
    )


def company_case(make_case, **kwargs):
    """A case whose debtor is a company (a legal person)."""
    case = make_case(**kwargs)
    debtor = company()
    case.debtor = debtor
    case.save(update_fields=["debtor"])
    CaseParty.objects.filter(case=case, role=PartyRole.BORROWER).update(party=debtor)
    return case


def make_asset(
    case, *, owner=None, user=None, description: str = ADDRESS, value: str | None = None, **fields
):
    asset = Asset(
        case=case,
        owner=owner or case.debtor,
        kind=fields.pop("kind", AssetKind.REAL_ESTATE),
        description=description,
        estimated_value=Decimal(value) if value is not None else None,
        valued_on=date(2025, 1, 1) if value is not None else None,
        **fields,
    )
    return asset_record(asset=asset, user=user)


def make_measure(
    asset,
    *,
    registered: str | datetime = "2025-03-03",
    ours: bool = True,
    user=None,
    applicant: str | None = None,
    claim: str | None = "1000000.00",
    ruling: str | None = None,
    expires: str = "2028-03-02",
    measured: str | None = None,
    stage: str = MeasureStage.IN_SUIT,
    kind: str = MeasureKind.SEIZURE,
) -> PreservationMeasure:
    registered_at = registered if isinstance(registered, datetime) else at(registered)
    n = next(_numbers)
    measure = PreservationMeasure(
        asset=asset,
        ours=ours,
        applicant=applicant or ("我行" if ours else f"竞争债权人{n}"),
        claim_amount=Decimal(claim) if claim is not None else None,
        court="上海市浦东新区人民法院",
        ruling_number=ruling if ruling is not None else f"(2025)沪0115执保{n}号",
        kind=kind,
        stage=stage,
        measured_on=date.fromisoformat(measured) if measured else registered_at.astimezone(SHANGHAI).date(),
        registered_at=registered_at,
        expires_on=date.fromisoformat(expires),
    )
    return measure_record(measure=measure, user=user)


def positions(asset) -> dict[int, int | None]:
    return dict(PreservationMeasure.objects.filter(asset=asset).values_list("pk", "position"))
