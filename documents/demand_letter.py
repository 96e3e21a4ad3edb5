"""Builds the shipped demand letter template, templates/documents/催收通知书.docx, with python-docx,
so that the file is reproducible and reviewable as code:

    .venv/bin/python -m documents.demand_letter [OUT.docx]

A 催收通知书 with its tear-off 回执 (documents.md): the debtor, each loan's contract number and
balances at a date, a deadline, and the receipt the debtor signs, whose signature interrupts
limitation (CC 195). It exercises the template language: placeholders split over runs as Word
leaves them, a `{%tr for %}` loan table, `{%p if %}` / `{%p for %}` paragraphs, and the `money`,
`words` and `cn_date` filters.
"""

import io
import sys
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "templates" / "documents" / "催收通知书.docx"
LOAN_COLUMNS = ["合同编号", "借款金额", "放款日", "到期日", "欠本金", "欠利息", "罚息", "合计", "保证人"]
LOAN_CELLS = [
    "{{ loan.contract_no }}",
    "{{ loan.amount|money }}",
    "{{ loan.disbursed_on|cn_date }}",
    "{{ loan.due_on|cn_date }}",
    "{{ loan.principal_outstanding|money }}",
    "{{ loan.interest_outstanding|money }}",
    "{{ loan.penalty_interest|money }}",
    "{{ loan.total|money }}",
    "{% for g in loan.guarantors %}{{ g.name }}{% if not loop.last %}、{% endif %}{% endfor %}",
]


def _paragraph(document: docx.document.Document, *runs: str | tuple[str, bool], center: bool = False) -> None:
    """A paragraph of runs; a (text, True) run is bold. Splitting a placeholder over two runs is
    what Word does after an edit or a spell-check mark."""
    paragraph = document.add_paragraph()
    for run in runs:
        text, bold = (run, False) if isinstance(run, str) else run
        paragraph.add_run(text).bold = bold or None
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def build() -> bytes:
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    _paragraph(document, ("催 收 通 知 书", True), center=True)
    _paragraph(document, "编号：{{ case.", "number }}")
    _paragraph(document, ("{{ borr", True), ("ower.name }}", True), "：")
    _paragraph(
        document,
        "截至{{ as_of|cn_date }}，贵方在{{ creditor.name }}的借款尚欠本金人民币",
        "{{ totals.principal|money }}元、"
        "利息{{ totals.interest|money }}元、罚息{{ totals.penalty|money }}元，合计人民币",
        ("{{ totals.claim|", True),
        ("money }}", False),
        "元（大写：人民币{{ totals.claim|words }}）。明细如下：",
    )
    table = document.add_table(rows=4, cols=len(LOAN_COLUMNS))
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, LOAN_COLUMNS, strict=True):
        cell.text = title
    table.cell(1, 0).text = "{%tr for loan in loans %}"
    for cell, text in zip(table.rows[2].cells, LOAN_CELLS, strict=True):
        cell.text = text
    table.cell(3, 0).text = "{%tr endfor %}"
    total_row = table.add_row().cells
    total_row[0].text = "合计"
    total_row[4].text = "{{ totals.principal|money }}"
    total_row[5].text = "{{ totals.interest|money }}"
    total_row[6].text = "{{ totals.penalty|money }}"
    total_row[7].text = "{{ totals.claim|money }}"

    _paragraph(document, "{%p if defendants|length > 1 %}")
    _paragraph(document, "本通知书同时送达对上述借款承担责任的下列义务人：")
    _paragraph(document, "{%p for d in defendants[1:] %}")
    _paragraph(
        document, "{{ d.name }}（{{ d.role }}{% if d.guarantee_type %}，{{ d.guarantee_type }}{% endif %}）"
    )
    _paragraph(document, "{%p endfor %}")
    _paragraph(document, "{%p endif %}")
    _paragraph(
        document,
        "请于收到本通知书之日起十五日内清偿上述欠款。逾期未清偿的，我行将依法采取诉讼等措施，"
        "由此产生的费用由贵方承担。利息、罚息计至实际清偿之日。",
    )
    _paragraph(document, "{{ creditor.name }}")
    _paragraph(document, "{{ today|cn_date }}")
    _paragraph(
        document, "-------------------------------- 沿此线剪下 --------------------------------", center=True
    )
    _paragraph(document, ("回    执", True), center=True)
    _paragraph(document, "{{ creditor.", "name }}：")
    _paragraph(
        document,
        "本人（本单位）已收到贵方于{{ today|cn_date }}发出的《催收通知书》（编号：{{ case.number }}），"
        "确认截至{{ as_of|cn_date }}尚欠借款本息合计人民币{{ totals.claim|money }}元"
        "（大写：人民币{{ totals.claim|words }}）。",
    )
    _paragraph(document, "签收人（签字或盖章）：                    日期：      年    月    日")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_PATH
    out.write_bytes(build())
    print(out)
