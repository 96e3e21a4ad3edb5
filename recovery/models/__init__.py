"""The recovery app's records, by domain; every model is importable from here (the migrations
and the other apps do), so the split is invisible to them."""

from recovery.models.alerts import (  # noqa: F401
    Alert,
    AlertPolicy,
    AlertPreference,
    AlertRecipientRole,
    AlertStatus,
    _calendar_token,
)
from recovery.models.approvals import ApprovalRequest  # noqa: F401
from recovery.models.collection import (  # noqa: F401
    DEMAND_KINDS,
    MONEY_KINDS,
    ActionKind,
    CollectionAction,
)
from recovery.models.deadlines import (  # noqa: F401
    Deadline,
    DeadlineKind,
    DeadlineQuerySet,
    DeadlineStatus,
    HolidayYear,
    LapseDecision,
)
from recovery.models.docket import (  # noqa: F401
    CASE_STAGE_ORDER,
    LOAN_ROLES,
    MONEY,
    OPEN_STATUSES,
    PROOF_EXTENSIONS,
    PROOF_KINDS,
    Branch,
    Case,
    CaseParty,
    CaseQuerySet,
    CaseStatus,
    CoGuarantorRecourse,
    Collateral,
    DefaultCause,
    GuaranteeType,
    Instalment,
    Loan,
    LoanParty,
    MaritalStatus,
    Party,
    PartyKind,
    PartyRole,
    Role,
    SecurityType,
    StaffProfile,
    before_disbursement_error,
    earliest_disbursement,
    party_is_on_case,
)
from recovery.models.imports import (  # noqa: F401
    ImportRun,
    ImportSource,
    ImportStatus,
    LoanImportDigest,
)
from recovery.models.liability import (  # noqa: F401
    AdministratorKind,
    ClaimStatus,
    DailyNeedsLimit,
    Estate,
    EstateCreditor,
    EstateItem,
    EstateRecipient,
    FirstRecourseException,
    FirstRecourseExceptionKind,
    LiabilityClaim,
    LoanChange,
    LoanChangeKind,
    MarriageRecord,
    ObligorBasis,
    RecipientKind,
)
from recovery.models.receipts import LoanReceipt, ReceiptSource  # noqa: F401
