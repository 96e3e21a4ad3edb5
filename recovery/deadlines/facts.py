"""The docket's facts as plain dataclasses: what the service reads in bulk and the pure rules use.

Kept apart from `docket` so that the rules of one subject (recovery.deadlines.estate,
recovery.deadlines.guarantee) can use them without importing the docket that uses them."""

from dataclasses import dataclass
from datetime import date

from .model import EventKind

OBSTACLE_KINDS = frozenset({EventKind.OBSTACLE_STARTED, EventKind.OBSTACLE_ENDED})


@dataclass(frozen=True, slots=True)
class FactEvent:
    """A dated fact that interrupts or suspends a period. `against` is the party it was
    directed at; None means the case's main debtor(s)."""

    kind: EventKind
    on: date
    label: str
    against: int | None = None
    proven: bool = True
    action_id: int | None = None  # the collection action it comes from, where its proof is recorded


@dataclass(frozen=True, slots=True)
class LoanLink:
    """A party's obligation on one loan (a LoanParty row, `pk`), with a guarantor's terms."""

    party_id: int
    role: str
    contract_no: str
    guarantee_type: str = ""
    guarantee_months: int | None = None
    pk: int | None = None


@dataclass(frozen=True, slots=True)
class LoanExtension:
    """An extension of a loan's due date (展期) and the guarantee links (LoanParty pks) whose
    guarantors consented to it in writing (CC 695 para 2)."""

    contract_no: str
    agreed_on: date
    previous_due_on: date | None
    new_due_on: date
    consenting: frozenset[int] = frozenset()
    pk: int = 0


@dataclass(frozen=True, slots=True)
class PartyDeath:
    """A party's death as the deadlines see it: when succession opened, and when an heir or
    estate administrator was determined (None while nobody is). `undated` names an heir or
    administrator recorded without the date they were determined."""

    party_id: int
    name: str
    died_on: date
    determined_on: date | None = None
    determined_by: str = ""
    undated: str = ""


@dataclass(frozen=True, slots=True)
class FirstRecourseEnd:
    """A day a general guarantor's first-recourse defence (CC 687) is extinguished, from which
    his own limitation runs once the guarantee period was kept (CC 694 para 1; 担保解释 28).
    `link_id` None: it holds for every general guarantor of the case (enforcement against the
    debtor); otherwise for that guarantee link only (an exception recorded for it)."""

    link_id: int | None
    on: date
    label: str
    source: str
    text: str
