"""The .docx template engine (documents.engine), the case document context and the
render_document command (contract: document-templates.md)."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import docx
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from docx.shared import Pt

from documents.context import case_document_context, find_case_id
from documents.demand_letter import TEMPLATE_PATH, build
from documents.engine import TemplateProblem, compile_template
from litigation.models import Lawsuit
from recovery.models import (
    Case,
    CaseParty,
    Collateral,
    GuaranteeType,
    LoanParty,
    Party,
    PartyKind,
    PartyRole,
    Role,
)


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def template_of(*paragraphs: str | list[tuple[str, bool]]) -> bytes:
    """A .docx whose paragraphs are given as text or as runs of (text, bold)."""
    document = docx.Document()
    for paragraph in paragraphs:
        runs = [(paragraph, False)] if isinstance(paragraph, str) else paragraph
        p = document.add_paragraph()
        for text, bold in runs:
            p.add_run(text).bold = bold or None
    return docx_bytes(document)


def render(data: bytes, names, **context) -> docx.document.Document:
    return docx.Document(io.BytesIO(compile_template(data, names=names).render(context)))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


# --- placeholders, escaping, filters ------------------------------------------------------------


def test_a_placeholder_split_over_runs_takes_its_first_runs_formatting():
    data = template_of(
        [("Dear {{ na", True), ("me }}", False), (", you owe ", False), ("{{ amo", False)]
        + [("unt|money }}.", True)]
    )
    document = render(data, {"name", "amount"}, name="张三", amount=Decimal("1234567.8"))
    runs = document.paragraphs[0].runs
    assert document.paragraphs[0].text == "Dear 张三, you owe 1,234,567.80."
    assert (runs[0].text, runs[0].bold) == ("Dear 张三", True)
    assert runs[1].text == ""  # the rest of the placeholder moved to the first run
    assert (runs[3].text, runs[3].bold) == ("1,234,567.80", None)


def test_a_run_size_is_kept():
    document = docx.Document()
    run = document.add_paragraph().add_run("{{ name }}")
    run.font.size = Pt(22)
    result = render(docx_bytes(document), {"name"}, name="x")
    assert result.paragraphs[0].runs[0].font.size == Pt(22)


def test_values_are_escaped_and_the_file_stays_valid():
    data = template_of("{{ name }} / {{ note }}")
    document = render(data, {"name", "note"}, name='A&B <公司> "x"', note="1 > 0 & 'y'")
    assert texts(document) == ["A&B <公司> \"x\" / 1 > 0 & 'y'"]


def test_filters_and_dates():
    data = template_of("{{ day }}|{{ day|cn_date }}|{{ amount|money }}|{{ amount|words }}|{{ nothing }}")
    document = render(
        data, {"day", "amount", "nothing"}, day=date(2024, 1, 8), amount=Decimal("60036000.5"), nothing=None
    )
    assert texts(document) == ["2024-01-08|2024年1月8日|60,036,000.50|陆仟零叁万陆仟元零伍角整|"]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.5", "伍角整"),
        ("10.5", "壹拾元零伍角整"),
        ("1001", "壹仟零壹元整"),
        ("60036000.5", "陆仟零叁万陆仟元零伍角整"),
        ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"),
    ],
)
def test_the_words_filter_follows_the_amount_in_words_contract(amount, words):
    document = render(template_of("{{ a|words }}"), {"a"}, a=Decimal(amount))
    assert texts(document) == [words]


# --- paragraphs and rows -----------------------------------------------------------------------


P_TEMPLATE = template_of(
    "before",
    "{%p if show %}",
    "shown",
    "{%p elif other %}",
    "other",
    "{%p else %}",
    "neither",
    "{%p endif %}",
    "{%p for x in xs %}",
    "item {{ x }}",
    "{%p endfor %}",
    "after",
)


@pytest.mark.parametrize(
    ("show", "other", "xs", "expected"),
    [
        (True, False, [], ["before", "shown", "after"]),
        (False, True, [1], ["before", "other", "item 1", "after"]),
        (False, False, ["a", "b", "c"], ["before", "neither", "item a", "item b", "item c", "after"]),
    ],
)
def test_p_statements_keep_skip_or_repeat_paragraphs(show, other, xs, expected):
    document = render(P_TEMPLATE, {"show", "other", "xs"}, show=show, other=other, xs=xs)
    assert texts(document) == expected


def table_template() -> bytes:
    document = docx.Document()
    table = document.add_table(rows=5, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "contract", "amount"
    table.cell(1, 0).text = "{%tr for loan in loans %}"
    table.cell(2, 0).text, table.cell(2, 1).text = "{{ loan.no }}", "{{ loan.amount|money }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    table.cell(4, 0).text, table.cell(4, 1).text = "total", "{{ total|money }}"
    return docx_bytes(document)


@pytest.mark.parametrize("count", [0, 1, 5])
def test_tr_for_repeats_the_rows_between(count):
    loans = [{"no": f"C-{i}", "amount": Decimal(i * 1000)} for i in range(count)]
    document = render(table_template(), {"loans", "total"}, loans=loans, total=Decimal("10"))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows == [
        ["contract", "amount"],
        *[[f"C-{i}", f"{i * 1000:,}.00"] for i in range(count)],
        ["total", "10.00"],
    ]


def test_one_compiled_template_renders_many_documents_independently():
    template = compile_template(table_template(), names={"loans", "total"})
    first = template.render({"loans": [{"no": "A", "amount": 1}], "total": 1})
    second = template.render({"loans": [], "total": 2})
    assert len(docx.Document(io.BytesIO(first)).tables[0].rows) == 3
    assert len(docx.Document(io.BytesIO(second)).tables[0].rows) == 2


# --- refusals, with the place ------------------------------------------------------------------


def problem(data: bytes, names=frozenset({"name"}), **context) -> str:
    with pytest.raises(TemplateProblem) as refused:
        template = compile_template(data, names=names)
        template.render(context)
    return str(refused.value)


def test_an_unknown_name_is_refused_with_its_paragraph():
    message = problem(template_of("hello", [("{{ nm", False), ("ae }}", True)]))
    assert message == "{{ nmae }} (paragraph 2): unknown name 'nmae'"


def test_an_unknown_name_in_a_cell_names_table_row_and_cell():
    assert (
        problem(table_template(), names={"loans"})
        == "{{ total|money }} (table 1 row 5 cell 2): unknown name 'total'"
    )


def test_a_syntax_error_names_the_tag_and_its_place():
    message = problem(template_of("one", "two {{ name| }}"))
    assert message.startswith("{{ name| }} (paragraph 2): ")


def test_an_unclosed_statement_names_its_opening():
    assert (
        problem(template_of("{%p if name %}", "x")) == "{%p if name %} (paragraph 1): never closed (no endif)"
    )


def test_a_stray_end_is_refused():
    assert problem(template_of("x", "{%p endfor %}")).startswith("{%p endfor %} (paragraph 2): no open for")


def test_an_unclosed_tag_is_refused():
    assert (
        problem(template_of("x", "dear {{ name"))
        == "'{{ name' (paragraph 2): the tag is not closed in its paragraph"
    )


def test_statements_that_would_break_the_xml_are_refused():
    document = docx.Document()
    document.add_paragraph("{%p if name %}")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "{%p endif %}"
    message = problem(docx_bytes(document))
    assert message.startswith("{%p endif %} (table 1 row 1 cell 1) does not stand at the same level")


def test_a_missing_attribute_at_render_names_the_tag():
    message = problem(template_of("{{ name.first }}"), name={"last": "x"})
    assert message == "{{ name.first }} (paragraph 1): 'dict object' has no attribute 'first'"


def test_a_missing_name_at_render_is_refused():
    assert problem(template_of("{{ name }}")) == "{{ name }} (paragraph 1): 'name' is undefined"


@pytest.mark.parametrize("data", [b"plain text", b"", docx_bytes(docx.Document())[:200]])
def test_not_a_docx_is_refused(data):
    assert problem(data).startswith("not a .docx file")


def test_a_zip_without_a_document_is_not_a_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert problem(buffer.getvalue()) == "not a .docx file (no word/document.xml)"


def test_headers_with_tags_are_rendered_and_placed():
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "{{ name }}"
    document.add_paragraph("body")
    result = render(docx_bytes(document), {"name"}, name="R&D")
    assert result.sections[0].header.paragraphs[0].text == "R&D"
    assert problem(docx_bytes(document), names=set()).startswith(
        "{{ name }} (header (word/header1.xml) paragraph 1)"
    )


# --- the shipped template, the case context and the command --------------------------------------


def test_the_shipped_template_is_what_its_script_builds():
    shipped = zipfile.ZipFile(TEMPLATE_PATH)
    built = zipfile.ZipFile(io.BytesIO(build()))
    assert shipped.read("word/document.xml") == built.read("word/document.xml")


@pytest.fixture
def demo_case(make_case):
    case = make_case(loans=2, name="刘建国")
    loans = list(case.loans.order_by("contract_no"))
    loans[0].interest_outstanding = Decimal("1200.50")
    loans[0].save()
    guarantor = Party.objects.create(
        kind=PartyKind.COMPANY, name="A&B <担保>公司", id_number="91310000MA1FL0000X"
    )
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    LoanParty.objects.create(case_party=role, loan=loans[1], guarantee_type=GuaranteeType.JOINT)
    Collateral.objects.create(case=case, loan=loans[0], description="上海市浦东新区某路1号房产")
    Lawsuit.objects.create(
        case=case,
        court="上海市浦东新区人民法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("160000"),
        filed_on=date(2024, 3, 1),
    )
    return case


def test_the_case_context(demo_case, django_assert_num_queries):
    with django_assert_num_queries(10):
        context = case_document_context(demo_case.pk, user=None, as_of=date(2024, 6, 30), court="某法院")
    assert context["case"].number == demo_case.number and context["case"].branch == "上海分行"
    assert context["as_of"] == date(2024, 6, 30) and context["court"].name == "某法院"
    assert context["creditor"].name == "上海分行"
    borrower = context["borrower"]
    assert (borrower.name, borrower.kind, borrower.role, borrower.phone) == (
        "刘建国",
        "个人",
        "借款人",
        "13812345678",
    )
    assert borrower.id_number == demo_case.debtor.id_number  # full, never masked
    guarantor = context["defendants"][1]
    assert (guarantor.role, guarantor.guarantee_type, guarantor.kind) == ("保证人", "连带责任保证", "企业")
    first, second = context["loans"]
    assert first.collateral == "上海市浦东新区某路1号房产" and first.guarantors == []
    assert [g.name for g in second.guarantors] == ["A&B <担保>公司"]
    assert first.total == Decimal("81200.50")
    totals = context["totals"]
    assert (totals.principal, totals.interest, totals.claim) == (
        Decimal("160000.00"),
        Decimal("1200.50"),
        Decimal("161200.50"),
    )
    assert not hasattr(totals, "interest_to_date")
    assert context["lawsuit"]["court"] == "上海市浦东新区人民法院"
    assert context["judgment"] is None and context["assets"] == [] and context["measures"] == []
    assert find_case_id(demo_case.number) == find_case_id(first.contract_no) == demo_case.pk


def test_the_context_needs_the_personal_data_right_and_the_case_in_scope(demo_case, make_user):
    auditor = make_user("doc_auditor", Role.AUDITOR, None)  # sees every case, masked
    with pytest.raises(PermissionDenied):
        case_document_context(demo_case.pk, user=auditor)
    lawyer = make_user("doc_lawyer", Role.LAWYER)
    with pytest.raises(Case.DoesNotExist):
        case_document_context(demo_case.pk, user=lawyer)
    demo_case.assignee = lawyer
    demo_case.save()
    assert (
        case_document_context(demo_case.pk, user=lawyer)["borrower"].id_number == demo_case.debtor.id_number
    )


def test_the_command_renders_the_shipped_template(demo_case, tmp_path, capsys):
    out = tmp_path / "letter.docx"
    call_command(
        "render_document",
        str(TEMPLATE_PATH),
        "--case",
        demo_case.number,
        "--as-of",
        "2024-06-30",
        "--out",
        str(out),
    )
    document = docx.Document(str(out))
    text = "\n".join(texts(document))
    assert "刘建国：" in text
    assert (
        "截至2024年6月30日" in text
        and "合计人民币161,200.50元（大写：人民币壹拾陆万壹仟贰佰元零伍角整）" in text
    )
    assert "A&B <担保>公司（保证人，连带责任保证）" in text
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert [row[0] for row in rows] == [
        "合同编号",
        *sorted(loan.contract_no for loan in demo_case.loans.all()),
        "合计",
    ]


@pytest.mark.parametrize(
    ("template", "case", "extra", "expected"),
    [
        ("missing.docx", "{case}", [], "cannot read the template"),
        ("{plain}", "{case}", [], "not a .docx file"),
        ("{bad}", "{case}", [], "{{ nosuch }} (paragraph 1): unknown name 'nosuch'"),
        ("{shipped}", "RD-NONE", [], "no case with the number or loan contract number 'RD-NONE'"),
        ("{shipped}", "{case}", ["--as-of", "2024-13-01"], "is not a date"),
    ],
)
def test_the_command_refuses_with_exit_2_and_writes_nothing(
    demo_case, tmp_path, template, case, extra, expected
):
    (tmp_path / "plain.docx").write_text("not a zip")
    (tmp_path / "bad.docx").write_bytes(template_of("{{ nosuch }}"))
    paths = {
        "plain": tmp_path / "plain.docx",
        "bad": tmp_path / "bad.docx",
        "shipped": TEMPLATE_PATH,
        "case": demo_case.number,
    }
    out = tmp_path / "out.docx"
    with pytest.raises(CommandError) as refused:
        call_command(
            "render_document",
            template.format(**paths) if "{" in template else str(tmp_path / template),
            "--case",
            case.format(**paths),
            *extra,
            "--out",
            str(out),
        )
    assert refused.value.returncode == 2
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
