"""Rendering .docx documents: our engine (documents.engine) against docxtpl's own render, on the
shipped demand letter (templates/documents/催收通知书.docx) and the same data.

    .venv/bin/python bench/render_documents.py [--documents N] [--seed S]

Generates N synthetic case contexts (default 1,000; 1–8 loans and 0–3 guarantors each, names
holding `&` and `<`) from a fixed seed. Our engine compiles the template once and renders every
context; docxtpl 0.20.2 (`DocxTemplate(path).render(context, autoescape=True)`, then `save`)
re-reads, re-patches and re-compiles the template for every document, which is how it is used.
No Django: the engine and the filters are imported on their own.

The floor is docxtpl on the same machine in the same run, so the figure is a ratio: documents per
second of ours over docxtpl's. Goal: >= 30x (documents.md measured ~750 vs 14 docs/s on a
4-page complaint). Before timing, both outputs of the first contexts are read back with
python-docx and must agree paragraph for paragraph and cell for cell. Exits 1 when the goal is
missed. CPU time (time.process_time) is measured.
"""

import argparse
import io
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402
from docxtpl import DocxTemplate  # noqa: E402

from documents.demand_letter import TEMPLATE_PATH  # noqa: E402
from documents.engine import ENVIRONMENT, compile_template  # noqa: E402

GOAL_RATIO = 30.0
SURNAMES = "王李张刘陈杨赵黄周吴"


@dataclass(frozen=True)
class Row:
    name: str
    role: str
    guarantee_type: str


def synthetic_context(rng: random.Random, n: int) -> dict[str, Any]:
    loans: list[dict[str, Any]] = []
    start = date(2019, 1, 1) + timedelta(days=rng.randrange(1500))
    guarantors = [
        Row(f"{rng.choice(SURNAMES)}担保{i}&<公司>", "保证人", "连带责任保证")
        for i in range(rng.randrange(4))
    ]
    for i in range(rng.randint(1, 8)):
        principal = Decimal(rng.randrange(10_000_00, 5_000_000_00)) / 100
        interest = Decimal(rng.randrange(0, 200_000_00)) / 100
        penalty = Decimal(rng.randrange(0, 50_000_00)) / 100
        loans.append(
            {
                "contract_no": f"JK-{n:05d}-{i}",
                "amount": principal + Decimal("10000.00"),
                "principal_outstanding": principal,
                "interest_outstanding": interest,
                "penalty_interest": penalty,
                "total": principal + interest + penalty,
                "disbursed_on": start,
                "due_on": start + timedelta(days=365 * (1 + i % 3)),
                "guarantors": guarantors[: i % (len(guarantors) + 1)],
            }
        )
    principal = sum((loan["principal_outstanding"] for loan in loans), Decimal(0))
    interest = sum((loan["interest_outstanding"] for loan in loans), Decimal(0))
    penalty = sum((loan["penalty_interest"] for loan in loans), Decimal(0))
    borrower = Row(f"{rng.choice(SURNAMES)}某{n} & <子>", "借款人", "")
    return {
        "case": {"number": f"RD2026{n:06d}", "branch": "上海分行"},
        "today": date(2026, 12, 8),
        "as_of": date(2026, 11, 30),
        "creditor": {
            "name": "某银行股份有限公司上海分行",
            "address": "",
            "representative": "",
            "credit_code": "",
        },
        "court": {"name": ""},
        "borrower": borrower,
        "defendants": [borrower, *guarantors],
        "loans": loans,
        "totals": {
            "principal": principal,
            "interest": interest,
            "penalty": penalty,
            "claim": principal + interest + penalty,
        },
        "lawsuit": None,
        "judgment": None,
        "enforcement": None,
        "assets": [],
        "measures": [],
    }


def docxtpl_render(context: dict[str, Any]) -> bytes:
    template = DocxTemplate(str(TEMPLATE_PATH))
    template.render(context, jinja_env=docxtpl_environment(), autoescape=True)
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def docxtpl_environment() -> Any:
    import jinja2

    env = jinja2.Environment(autoescape=True)  # noqa: S701 -- autoescape on
    env.filters.update({name: ENVIRONMENT.filters[name] for name in ("money", "words", "cn_date")})
    return env


def read_back(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [p.text for p in document.paragraphs] + cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261208)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    contexts = [synthetic_context(rng, n) for n in range(args.documents)]
    data = TEMPLATE_PATH.read_bytes()

    started = time.process_time()
    compiled = compile_template(data)
    compile_cpu = time.process_time() - started
    for context in contexts[:20]:
        ours, theirs = read_back(compiled.render(context)), read_back(docxtpl_render(context))
        assert ours == theirs, f"outputs differ for {context['case']['number']}"

    started = time.process_time()
    sizes = sum(len(compiled.render(context)) for context in contexts)
    ours_cpu = time.process_time() - started
    started = time.process_time()
    for context in contexts:
        docxtpl_render(context)
    floor_cpu = time.process_time() - started

    ours_rate, floor_rate = len(contexts) / ours_cpu, len(contexts) / floor_cpu
    ratio = ours_rate / floor_rate
    met = ratio >= GOAL_RATIO
    print(f"template {TEMPLATE_PATH.name}: compiled once in {compile_cpu * 1000:.1f} ms")
    print(
        f"ours:    {len(contexts):,} documents in {ours_cpu:.2f} s CPU = {ours_rate:,.0f} docs/s "
        f"({sizes / len(contexts) / 1024:.0f} KB each)"
    )
    print(
        f"docxtpl: {len(contexts):,} documents in {floor_cpu:.2f} s CPU = {floor_rate:,.0f} docs/s "
        "(render(autoescape=True) + save)"
    )
    print(f"ratio: ours/docxtpl {ratio:.1f}x; goal >= {GOAL_RATIO:.0f}x {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
