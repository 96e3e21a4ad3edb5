"""What the core learns from the apps around it: each app registers what it owns from its
`AppConfig.ready()`, and `recovery` never names one of them (tests/test_architecture.py checks).

What an app registers here:

* **deadline kinds** (`register_deadline_kind`): the value stored in `Deadline.kind`, its label,
  the short tag in front of a calendar entry, and the default alert thresholds. The choices of
  `Deadline.kind` and `AlertPolicy.kind` are `deadline_kind_choices`, a callable, so a new kind
  needs no migration of `recovery`. Kinds are listed in registration order (`INSTALLED_APPS`
  order: recovery's own first); a value registered twice with a different meaning is refused.
* **deadline fact providers** (`register_deadline_provider`): functions that add events to each
  case's facts and return deadline specs of their own. They run in an explicit order, not in
  registration order: every provider of the EVENTS phase (it adds events other rules read,
  e.g. suits) before every provider of the SPECS phase (it only reads events), then by the
  declared `order`, then by name.
* **docket apps** (`register_docket_app`): apps whose records make up the docket. Each role's
  rights apply to all their models (recovery.services.staff), their models without a scoped
  editor have no editing session (recovery.admin.guards), and Wagtail's bulk actions are
  refused on them (config/urls.py). An app also names the models whose records a lawyer may
  delete (what they recorded themselves and may correct).

Elsewhere, by the same principle:

* the case of a record, for the audit trail (recovery.lib.audit.case_id_of): a model whose rows
  reach their case through a parent declares it as the class attribute `case_via` (the name of
  the foreign key to a model with a `case`); a `case` or `loan` foreign key needs nothing;
* what a lapse means (recovery.deadlines.lapse.register_lapse_consequence), calendar events,
  case sections and timeline entries (Wagtail hooks named in recovery.views.calendar and
  recovery.admin.docket), case search lookups (recovery.selectors.search);
* approval kinds (`register_approval_kind`): requests managers approve by amount (a disposal
  plan, a write-off), each on the workflow recovery keeps for its kind, with its limit;
* upload folders: each model names its own folder in its `PrivateUploadTo` (recovery.lib.files).

This module imports neither Django nor any model: models import it for their choices.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any


class UnknownDeadlineKind(LookupError):
    """A deadline kind no app registered."""


@dataclass(frozen=True)
class DeadlineKindSpec:
    value: str  # as stored in Deadline.kind (at most 30 characters)
    label: Any  # a lazy translation: the kind's name in listings and mails
    app: str  # the label of the app that computes deadlines of this kind
    thresholds: tuple[int, ...]  # the default alert thresholds, days before the act-by date
    tag: Any = None  # the short tag in front of a calendar entry; the label when None

    @property
    def calendar_tag(self) -> Any:
        return self.tag if self.tag is not None else self.label


KIND_VALUE_LENGTH = 30  # Deadline.kind's max_length

_kinds: dict[str, DeadlineKindSpec] = {}


def register_deadline_kind(
    value: str, label: Any, *, app: str, thresholds: Iterable[int], tag: Any = None
) -> DeadlineKindSpec:
    """Declare a kind of deadline the app computes. Registering the same kind again is a no-op;
    the same value with another meaning (another app, label, tag or thresholds) is refused."""
    if not value or len(value) > KIND_VALUE_LENGTH:
        raise ValueError(f"A deadline kind is 1 to {KIND_VALUE_LENGTH} characters: {value!r}")
    days = tuple(sorted({int(day) for day in thresholds}, reverse=True))
    if not days or days[-1] < 0:
        raise ValueError(f"{value}: give at least one threshold, none negative")
    spec = DeadlineKindSpec(value=value, label=label, app=app, thresholds=days, tag=tag)
    known = _kinds.get(value)
    if known is not None and known != spec:
        raise ValueError(f"Deadline kind {value!r} is already registered by {known.app}")
    _kinds[value] = spec
    return spec


def deadline_kinds() -> list[DeadlineKindSpec]:
    return list(_kinds.values())


def deadline_kind(value: str) -> DeadlineKindSpec:
    """The registered kind `value`; UnknownDeadlineKind when no app registered it."""
    try:
        return _kinds[value]
    except KeyError:
        raise UnknownDeadlineKind(f"No app registered the deadline kind {value!r}") from None


def is_deadline_kind(value: str) -> bool:
    return value in _kinds


def deadline_kind_choices() -> list[tuple[str, Any]]:
    """The choices of `Deadline.kind` and `AlertPolicy.kind` (a callable: read when used)."""
    return [(spec.value, spec.label) for spec in _kinds.values()]


def default_thresholds() -> dict[str, tuple[int, ...]]:
    """Each kind's default alert thresholds, for kinds the head of recovery has not configured."""
    return {spec.value: spec.thresholds for spec in _kinds.values()}


# --- deadline fact providers ---------------------------------------------------------------


class ProviderPhase(IntEnum):
    EVENTS = 0  # adds events to the facts (a suit, a judgment) that later rules depend on
    SPECS = 1  # reads the facts, events included, and only returns specs


@dataclass(frozen=True)
class _ProviderEntry:
    provider: Callable[..., Any]
    phase: ProviderPhase
    order: int

    @property
    def sort_key(self) -> tuple[int, int, str]:
        name = f"{self.provider.__module__}.{getattr(self.provider, '__qualname__', '')}"
        return (self.phase, self.order, name)


_providers: dict[Callable[..., Any], _ProviderEntry] = {}


def register_deadline_provider(provider: Callable[..., Any], *, phase: ProviderPhase, order: int = 0) -> None:
    """Another app's facts: a provider takes {case id: CaseFacts}, may add events to each and
    returns its own deadline specs (see recovery.services.deadlines.all_specs)."""
    _providers[provider] = _ProviderEntry(provider, ProviderPhase(phase), order)


def deadline_providers() -> list[Callable[..., Any]]:
    """The providers in the order they run: phase, then declared order, then name."""
    return [entry.provider for entry in sorted(_providers.values(), key=lambda entry: entry.sort_key)]


# --- docket apps ---------------------------------------------------------------------------


_docket_apps: dict[str, frozenset[str]] = {}


_lawyer_read_only: dict[str, frozenset[str]] = {}
_service_written: dict[str, frozenset[str]] = {}


def register_docket_app(
    app_label: str,
    *,
    lawyer_may_delete: Iterable[str] = (),
    lawyer_read_only: Iterable[str] = (),
    service_written: Iterable[str] = (),
) -> None:
    """`app_label`'s records make up the docket; a lawyer may delete the records of the models
    named in `lawyer_may_delete` (lower-case model names) as well as view, add and change them,
    and only view those named in `lawyer_read_only` (what managers and the head keep for all).
    The records of the models named in `service_written` are written only by the app's services
    (through views that check their own rights): every role only views them."""
    _docket_apps[app_label] = _docket_apps.get(app_label, frozenset()) | frozenset(lawyer_may_delete)
    _lawyer_read_only[app_label] = _lawyer_read_only.get(app_label, frozenset()) | frozenset(lawyer_read_only)
    _service_written[app_label] = _service_written.get(app_label, frozenset()) | frozenset(service_written)


def docket_apps() -> tuple[str, ...]:
    return tuple(_docket_apps)


def lawyer_read_only_models() -> dict[str, frozenset[str]]:
    """{app label: model names a lawyer only views}."""
    return dict(_lawyer_read_only)


def service_written_models() -> dict[str, frozenset[str]]:
    """{app label: model names every role only views}."""
    return dict(_service_written)


def lawyer_deletable_models() -> dict[str, frozenset[str]]:
    """{app label: model names whose records a lawyer may delete}."""
    return dict(_docket_apps)


# --- approval kinds ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalKindSpec:
    value: str  # as stored in ApprovalLimit.kind (at most 30 characters)
    label: Any  # a lazy translation: "Disposal plan", "Write-off"
    app: str  # the app whose model is approved
    model: str  # "app_label.ModelName": the ApprovalRequest subclass approved on this kind's workflow
    default_limit: Decimal  # the branch manager approves up to this amount, the head above it


_approval_kinds: dict[str, ApprovalKindSpec] = {}


def register_approval_kind(
    value: str, label: Any, *, app: str, model: str, default_limit: Decimal
) -> ApprovalKindSpec:
    """Declare a kind of request managers approve; recovery keeps its workflow and its limit."""
    if not value or len(value) > KIND_VALUE_LENGTH:
        raise ValueError(f"An approval kind is 1 to {KIND_VALUE_LENGTH} characters: {value!r}")
    spec = ApprovalKindSpec(
        value=value, label=label, app=app, model=model, default_limit=Decimal(default_limit)
    )
    known = _approval_kinds.get(value)
    if known is not None and known != spec:
        raise ValueError(f"Approval kind {value!r} is already registered by {known.app}")
    _approval_kinds[value] = spec
    return spec


def approval_kinds() -> list[ApprovalKindSpec]:
    return list(_approval_kinds.values())


def approval_kind(value: str) -> ApprovalKindSpec:
    return _approval_kinds[value]


def approval_kind_choices() -> list[tuple[str, Any]]:
    return [(spec.value, spec.label) for spec in _approval_kinds.values()]


__all__ = [
    "ApprovalKindSpec",
    "approval_kind",
    "approval_kind_choices",
    "approval_kinds",
    "register_approval_kind",
    "DeadlineKindSpec",
    "ProviderPhase",
    "UnknownDeadlineKind",
    "deadline_kind",
    "deadline_kind_choices",
    "deadline_kinds",
    "deadline_providers",
    "default_thresholds",
    "docket_apps",
    "is_deadline_kind",
    "lawyer_deletable_models",
    "register_deadline_kind",
    "register_deadline_provider",
    "register_docket_app",
]
