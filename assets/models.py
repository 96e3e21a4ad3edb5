"""Assets of debtors and guarantors, the security interests over them and every preservation
measure (ours and competing creditors') — the facts behind ranking, renewal deadlines and the
distribution waterfall (law.md §3.7, §4)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recovery.checks.dates import future_fact_error
from recovery.lib.files import FileSignatureValidator, PrivateUploadTo
from recovery.lib.validators import future_fact_errors, validate_supported_date, validate_upload_size
from recovery.models import MONEY, ApprovalRequest, Case, Collateral, Loan, Party

ASSET_FILE_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "heic", "tif", "tiff", "docx", "xlsx"]
ASSET_FILE_KINDS = ("pdf", "jpeg", "png", "heic", "tiff", "docx", "xlsx")


class AssetKind(models.TextChoices):
    REAL_ESTATE = "real_estate", _("Real estate")
    VEHICLE = "vehicle", _("Vehicle")
    DEPOSIT = "deposit", _("Bank deposit")
    EQUITY = "equity", _("Equity")
    RECEIVABLE = "receivable", _("Receivable")
    OTHER = "other", _("Other")


class ValueSource(models.TextChoices):
    APPRAISAL = "appraisal", _("Appraisal")
    MARKET_ESTIMATE = "market_estimate", _("Market estimate")
    COURT_REFERENCE = "court_reference", _("Court reference price")
    OTHER = "other", _("Other")


class Asset(models.Model):
    """Something of a debtor's or guarantor's that can be seized and sold."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="assets")
    owner = models.ForeignKey(Party, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="assets")
    kind = models.CharField(_("kind"), max_length=20, choices=AssetKind.choices)
    description = models.CharField(_("description"), max_length=300)
    # Real estate
    address = models.CharField(_("address"), max_length=300, blank=True)
    certificate_number = models.CharField(_("property certificate number"), max_length=100, blank=True)
    area = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Vehicle
    plate = models.CharField(_("licence plate"), max_length=20, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    # Bank deposit
    bank = models.CharField(_("bank"), max_length=120, blank=True)
    account_number = models.CharField(_("account number"), max_length=40, blank=True)
    frozen_amount = models.DecimalField(_("frozen amount"), null=True, blank=True, **MONEY)
    # Equity
    company = models.CharField(_("company"), max_length=200, blank=True)
    share_percent = models.DecimalField(
        _("share (%)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    # Receivable
    counterparty = models.CharField(_("owed by"), max_length=200, blank=True)
    # Value
    estimated_value = models.DecimalField(
        _("estimated value"), null=True, blank=True, validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    valued_on = models.DateField(_("valued on"), null=True, blank=True, validators=[validate_supported_date])
    value_source = models.CharField(_("value source"), max_length=20, choices=ValueSource.choices, blank=True)
    collateral = models.ForeignKey(
        Collateral,
        verbose_name=_("from hand-over collateral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["case", "kind", "id"]

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.estimated_value is not None and not self.valued_on:
            errors["valued_on"] = _("Give the date of the estimate.")
        if self.vin and len(self.vin) != 17:
            errors["vin"] = _("A VIN has 17 characters.")
        for name, error in future_fact_errors(self, ("valued_on",)).items():
            errors.setdefault(name, error)
        if errors:
            raise ValidationError(errors)


class AssetFileKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")


class AssetFile(models.Model):
    asset = models.ForeignKey(Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(
        _("kind"), max_length=10, choices=AssetFileKind.choices, default=AssetFileKind.PHOTO
    )
    # Stored under a random name and served only by the access-checked download; the content
    # must be what the extension says (recovery.lib.files).
    file = models.FileField(
        _("file"),
        upload_to=PrivateUploadTo("assets", name_field="original_name"),
        validators=[
            FileExtensionValidator(ASSET_FILE_EXTENSIONS),
            validate_upload_size,
            FileSignatureValidator(ASSET_FILE_KINDS),
        ],
    )
    # Declared after file: the upload_to above fills it in during the same save.
    original_name = models.CharField(_("file name"), max_length=255, blank=True, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("asset file")
        verbose_name_plural = _("asset files")
        ordering = ["asset", "-uploaded_at"]

    def __str__(self) -> str:
        return self.caption or self.original_name or self.file.name


class SecurityKind(models.TextChoices):
    MORTGAGE = "mortgage", _("Mortgage")
    PLEDGE = "pledge", _("Pledge")


class SecurityInterest(models.Model):
    """A mortgage or pledge over the asset, ours or another creditor's. Registered ones rank by
    registration date (CC 414); unregistered ones after every registered one."""

    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="security_interests"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SecurityKind.choices)
    ours = models.BooleanField(_("ours"), default=False)
    creditor = models.CharField(_("creditor"), max_length=200)
    loan = models.ForeignKey(
        Loan,
        verbose_name=_("secured loan (ours)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_interests",
    )
    secured_amount = models.DecimalField(
        _("secured amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    maximum_amount = models.BooleanField(
        _("maximum-amount mortgage (最高额)"),
        default=False,
        help_text=_(
            "The secured amount is the registered maximum; a seizure fixes the debt (查扣冻规定 25)."
        ),
    )
    registered_on = models.DateField(
        _("registered on"),
        null=True,
        blank=True,
        help_text=_("Empty: unregistered."),
        validators=[validate_supported_date],
    )
    registration_number = models.CharField(_("registration number"), max_length=100, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("security interest")
        verbose_name_plural = _("security interests")
        ordering = ["asset", models.F("registered_on").asc(nulls_last=True), "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.creditor}"

    def clean(self) -> None:
        if self.registration_number and not self.registered_on:
            raise ValidationError({"registered_on": _("A registered interest needs its registration date.")})
        if self.loan_id and not self.ours:
            raise ValidationError({"loan": _("Only our own security interests secure one of our loans.")})
        # The registration date ranks the interest (CC 414): a planned one ranks nowhere yet.
        errors = future_fact_errors(self, ("registered_on",))
        if errors:
            raise ValidationError(errors)


class MeasureKind(models.TextChoices):
    SEIZURE = "seizure", _("Seizure (查封)")
    DISTRAINT = "distraint", _("Distraint (扣押)")
    FREEZE = "freeze", _("Freeze (冻结)")


class MeasureStage(models.TextChoices):
    PRE_SUIT = "pre_suit", _("Pre-suit preservation")
    IN_SUIT = "in_suit", _("Preservation in suit")
    ENFORCEMENT = "enforcement", _("Enforcement")


class MeasureStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LIFTED = "lifted", _("Lifted")
    LAPSED = "lapsed", _("Lapsed")


class AssetDeadlineKind(models.TextChoices):
    """The assets app's kinds of deadline, registered with recovery (stored in Deadline.kind)."""

    PRE_SUIT_PRESERVATION = "pre_suit_preservation", _("Suit after pre-suit preservation")
    PRESERVATION_RENEWAL = "preservation_renewal", _("Preservation renewal")
    PRESERVATION_EXPIRY = "preservation_expiry", _("Preservation expiry")
    COMPETITOR_SEIZURE_EXPIRY = "competitor_seizure_expiry", _("Competitor's first seizure expires")
    AUCTION_NOTICE = "auction_notice", _("Auction notice")
    REAUCTION_LATEST = "reauction_latest", _("Latest re-auction after a failed round")


class PreservationMeasure(models.Model):
    """A seizure, distraint or freeze on an asset — ours or a competing creditor's.

    `position` is kept by the assets services, never edited: 1 is the first seizure (首封),
    2, 3, … the waiting list (轮候) by registration time; empty once lifted or lapsed. A
    partial unique constraint keeps two active measures of one asset off the same position.
    """

    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="measures"
    )
    ours = models.BooleanField(_("ours"), default=True)
    applicant = models.CharField(
        _("applicant"), max_length=200, help_text=_("Us, or the name of the competing creditor.")
    )
    claim_amount = models.DecimalField(
        _("claim amount"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("What the applicant claims; used for the distribution waterfall."),
        **MONEY,
    )
    court = models.CharField(_("court"), max_length=120)
    ruling_number = models.CharField(_("ruling number"), max_length=80, blank=True)
    kind = models.CharField(_("measure"), max_length=10, choices=MeasureKind.choices)
    stage = models.CharField(_("stage"), max_length=12, choices=MeasureStage.choices)
    measured_on = models.DateField(_("measure taken on"), validators=[validate_supported_date])
    registered_at = models.DateTimeField(
        _("registered at"), help_text=_("Time of registration at the registry; decides the rank.")
    )
    expires_on = models.DateField(
        _("expiry date (as printed by the court)"), validators=[validate_supported_date]
    )
    position = models.PositiveSmallIntegerField(
        _("position"), null=True, blank=True, editable=False, validators=[MaxValueValidator(10000)]
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MeasureStatus.choices,
        default=MeasureStatus.ACTIVE,
        editable=False,
    )
    ended_on = models.DateField(
        _("lifted / lapsed on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    end_reason = models.CharField(_("reason"), max_length=300, blank=True, editable=False)
    converted_on = models.DateField(
        _("became the first seizure on"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_supported_date],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("preservation measure")
        verbose_name_plural = _("preservation measures")
        ordering = ["asset", models.F("position").asc(nulls_last=True), "registered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "position"],
                condition=models.Q(status="active"),
                name="unique_active_position_per_asset",
            )
        ]
        indexes = [
            models.Index(fields=["status", "expires_on"], name="measure_status_expiry"),
            # Who holds each asset's first seizure (the listing's column and its "we hold the
            # first seizure" filter): one small entry per seized asset.
            models.Index(
                fields=["asset", "ours"],
                condition=models.Q(status="active", position=1),
                name="measure_active_first_seizure",
            ),
            # "Expiring within N days" across all assets: read from the index alone.
            models.Index(
                fields=["expires_on", "asset"],
                condition=models.Q(status="active"),
                name="measure_active_expiry_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.applicant} {self.ruling_number}".strip()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.measured_on and self.expires_on and self.expires_on <= self.measured_on:
            errors["expires_on"] = _("The expiry must be after the day the measure was taken.")
        # Compared as Shanghai dates: a registration at 07:30 Beijing time is the previous day in UTC.
        registered_on = timezone.localtime(self.registered_at).date() if self.registered_at else None
        if registered_on and self.measured_on and registered_on < self.measured_on:
            errors["registered_at"] = _("Registration cannot precede the measure.")
        # The expiry printed by the court lies ahead by nature; the measure and its
        # registration (which rank it) must have happened.
        for name, error in future_fact_errors(self, ("measured_on",)).items():
            errors.setdefault(name, error)
        registered_error = future_fact_error(registered_on, timezone.localdate())
        if registered_error:
            errors.setdefault("registered_at", registered_error)
        if errors:
            raise ValidationError(errors)


class MeasureRenewal(models.Model):
    """A renewal (续封 / 续冻) with the new expiry printed by the court."""

    measure = models.ForeignKey(
        PreservationMeasure, verbose_name=_("measure"), on_delete=models.CASCADE, related_name="renewals"
    )
    renewed_on = models.DateField(_("renewed on"), validators=[validate_supported_date])
    ruling_number = models.CharField(_("ruling number"), max_length=80, blank=True)
    new_expires_on = models.DateField(_("new expiry date"), validators=[validate_supported_date])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["measure", "renewed_on"]

    def __str__(self) -> str:
        return f"{self.renewed_on} → {self.new_expires_on}"

    def clean(self) -> None:
        errors = future_fact_errors(self, ("renewed_on",))
        if errors:
            raise ValidationError(errors)


# --- disposal plans ---------------------------------------------------------------------------


class DisposalRoute(models.TextChoices):
    ONLINE_AUCTION = "online_auction", _("Online judicial auction (网络司法拍卖)")
    NEGOTIATED_SALE = "negotiated_sale", _("Negotiated sale with the court's consent (经法院同意的协议变卖)")
    IN_LIEU = "in_lieu", _("Transfer in lieu of payment (以物抵债)")
    CLAIM_SALE = "claim_sale", _("Sale of the claim to an asset-management company (债权转让)")
    DISCOUNTED_SETTLEMENT = "discounted_settlement", _("Settlement with a discount (折价和解)")


# Routes that dispose of an asset; the others dispose of the claim itself (the plan has no asset).
ASSET_ROUTES = (DisposalRoute.ONLINE_AUCTION, DisposalRoute.NEGOTIATED_SALE, DisposalRoute.IN_LIEU)
CLAIM_ROUTES = (DisposalRoute.CLAIM_SALE, DisposalRoute.DISCOUNTED_SETTLEMENT)


class ReferenceSource(models.TextChoices):
    """How the reference price was fixed (参考价规定 2: 当事人议价、定向询价、网络询价、委托评估)."""

    APPRAISAL = "appraisal", _("Appraisal (评估)")
    AGREED = "agreed", _("Agreed by the parties (当事人议价)")
    INQUIRY = "inquiry", _("Directed inquiry (定向询价)")
    NETWORK = "network", _("Network inquiry (网络询价)")


class DisposalStage(models.TextChoices):
    """Where an approved plan stands; kept by the disposal services only."""

    PLANNED = "planned", _("Planned")
    FIRST_FAILED = "first_failed", _("First auction failed")
    SECOND_FAILED = "second_failed", _("Second auction failed")
    SOLD = "sold", _("Sold")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STAGES = (DisposalStage.SOLD, DisposalStage.WITHDRAWN)


class DisposalPlan(ApprovalRequest):
    """How one asset (or, without an asset, the claim itself) is to be turned into money:
    prepared by the lawyer as drafts, approved by managers by its amount, then followed round by
    round until it is sold or withdrawn (assets.disposal)."""

    approval_kind = "disposal_plan"
    approval_service = "assets.disposal.disposal_plan_approve"

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="disposal_plans"
    )
    asset = models.ForeignKey(
        Asset,
        verbose_name=_("asset"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disposal_plans",
        help_text=_("Empty: a plan for the claim itself (sale of the claim, settlement)."),
    )
    route = models.CharField(_("route"), max_length=24, choices=DisposalRoute.choices)
    reference_price = models.DecimalField(
        _("reference price"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    reference_source = models.CharField(
        _("reference price source"), max_length=12, choices=ReferenceSource.choices
    )
    first_starting_price = models.DecimalField(
        _("first starting price"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Empty: the minimum, seventy percent of the reference price."),
        **MONEY,
    )
    first_auction_on = models.DateField(
        _("first auction on"), null=True, blank=True, validators=[validate_supported_date]
    )
    # The second round exists once the first has failed: set with that failure (the court fixes
    # it then), by disposal_plan_round_fail.
    second_starting_price = models.DecimalField(
        _("second starting price"),
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(Decimal("0.01"))],
        **MONEY,
    )
    second_auction_on = models.DateField(
        _("second auction on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    costs = models.DecimalField(
        _("costs"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "What we advance for the disposal (appraisal, auction, enforcement fees): repaid first "
            "out of what we receive (CC 561)."
        ),
        **MONEY,
    )
    expected_price = models.DecimalField(
        _("expected price"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("What we expect it to fetch. Empty: the applicable starting price (else the reference)."),
        **MONEY,
    )
    timeline = models.TextField(_("timeline"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The outcome, kept by the services once the plan is approved.
    stage = models.CharField(
        _("stage"),
        max_length=16,
        choices=DisposalStage.choices,
        default=DisposalStage.PLANNED,
        editable=False,
    )
    first_failed_on = models.DateField(
        _("first auction failed on"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_supported_date],
    )
    second_failed_on = models.DateField(
        _("second auction failed on"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_supported_date],
    )
    sold_price = models.DecimalField(_("sale price"), null=True, blank=True, editable=False, **MONEY)
    buyer = models.CharField(_("buyer"), max_length=200, blank=True, editable=False)
    ruling_on = models.DateField(
        _("confirmation ruling (成交裁定) on"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_supported_date],
    )
    proceeds_ours = models.DecimalField(
        _("our share of the proceeds"), null=True, blank=True, editable=False, **MONEY
    )
    distribution = models.JSONField(_("distribution"), null=True, blank=True, editable=False)
    withdrawn_on = models.DateField(
        _("withdrawn on"), null=True, blank=True, editable=False, validators=[validate_supported_date]
    )
    withdrawal_reason = models.CharField(_("withdrawal reason"), max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("disposal plan")
        verbose_name_plural = _("disposal plans")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "approved_at"], name="disposal_plan_stage")]

    def __str__(self) -> str:
        subject = self.asset.description if self.asset_id and self.asset else _("the claim")
        return f"{self.get_route_display()} — {subject}"

    def approval_amount(self) -> Decimal:
        """What a manager routes by is what is at stake: for an asset, its reference price (what
        the court will sell it around); for the claim itself, the claim's outstanding balance
        (principal, interest and penalty interest of the case's loans) that the plan gives up."""
        if self.asset_id:
            return self.reference_price or Decimal("0.00")
        return sum((loan.total_outstanding for loan in self.case.loans.all()), Decimal("0.00"))

    @property
    def is_auction(self) -> bool:
        return self.route == DisposalRoute.ONLINE_AUCTION

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.route in CLAIM_ROUTES and self.asset_id:
            errors["asset"] = _(
                "The sale of the claim and a settlement dispose of the claim: choose no asset."
            )
        if self.route in ASSET_ROUTES and not self.asset_id:
            errors["asset"] = _("This route disposes of an asset: choose it.")
        if self.asset_id and self.case_id and self.asset.case_id != self.case_id:
            errors["asset"] = _("The asset must be one of this case's assets.")
        if not self.is_auction:
            for name in ("first_starting_price", "first_auction_on"):
                if getattr(self, name) is not None:
                    errors[name] = _("Only an online auction has rounds: leave this empty.")
        if errors:
            raise ValidationError(errors)


DISPOSAL_FILE_EXTENSIONS = ASSET_FILE_EXTENSIONS
DISPOSAL_FILE_KINDS = ASSET_FILE_KINDS


class DisposalPlanFile(models.Model):
    """An appraisal report, an inquiry result, the court's notice or ruling… of a disposal plan."""

    plan = models.ForeignKey(
        DisposalPlan, verbose_name=_("disposal plan"), on_delete=models.CASCADE, related_name="files"
    )
    # Private like an asset's files: a random stored name, served by the access-checked download.
    file = models.FileField(
        _("file"),
        upload_to=PrivateUploadTo("disposal", name_field="original_name"),
        validators=[
            FileExtensionValidator(DISPOSAL_FILE_EXTENSIONS),
            validate_upload_size,
            FileSignatureValidator(DISPOSAL_FILE_KINDS),
        ],
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disposal plan file")
        verbose_name_plural = _("disposal plan files")
        ordering = ["plan", "-uploaded_at"]

    def __str__(self) -> str:
        return self.caption or self.original_name or self.file.name
